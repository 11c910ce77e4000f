// WordPiece: the C++ tokenizer agrees with the independent Python reference
// (tools/wordpiece_reference.py, Hugging Face's BertTokenizer algorithm over
// Python's unicodedata) on every case of tests/data/wordpiece/cases.tsv, and
// on real text with the shipped model's vocabulary; model directories with a
// bad vocabulary or config are refused with messages that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ops/text_data.hpp"
#include "ops/unicode_text.hpp"
#include "ops/wordpiece.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

const std::string data_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/wordpiece";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(f, line))
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  return lines;
}

// "lower=1 strip=none cjk=1" -> options.
wordpiece_options parse_options(const std::string& spec) {
  wordpiece_options o;
  for (const auto& kv : split(spec, ' ')) {
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "lower") o.lower_case = v == "1";
    if (k == "cjk") o.split_cjk = v == "1";
    if (k == "strip")
      o.strip_accents = v == "none"   ? accent_stripping::follow_lower_case
                        : v == "true" ? accent_stripping::strip
                                      : accent_stripping::keep;
  }
  return o;
}

std::string join(const std::vector<int32_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s;
}

std::string temp_dir(const std::string& name) {
  std::string d = ::testing::TempDir() + "/wordpiece_" + std::to_string(::getpid()) + "_" + name;
  std::string cmd = "mkdir -p '" + d + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return d;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

} // namespace

TEST(WordPiece, AgreesWithTheReferenceOnEveryCase) {
  auto vocab_lines = split(
      [] {
        std::ifstream f(data_dir + "/vocab.txt", std::ios::binary);
        std::ostringstream s;
        s << f.rdbuf();
        return s.str();
      }(),
      '\n');
  ASSERT_FALSE(vocab_lines.empty());
  vocab_lines.pop_back(); // the file ends with a newline
  auto cases = read_lines(data_dir + "/cases.tsv");
  ASSERT_GE(cases.size(), 50u);
  for (const auto& line : cases) {
    auto f = split(line, '\t');
    ASSERT_EQ(f.size(), 7u) << line;
    SCOPED_TRACE(f[0]);
    auto tok = wordpiece_tokenizer::create(vocab_lines, parse_options(f[1]));
    ASSERT_TRUE(tok.has_value()) << tok.error().message;
    auto enc = tok->encode(from_hex(f[2]), std::stoi(f[3]));
    if (f[4].rfind("error: ", 0) == 0) {
      ASSERT_FALSE(enc.has_value()) << "accepted: " << join(enc->ids);
      EXPECT_EQ(enc.error().message.rfind(f[4].substr(7), 0), 0u) << enc.error().message;
      continue;
    }
    ASSERT_TRUE(enc.has_value()) << enc.error().message;
    EXPECT_EQ(join(enc->ids), f[4]);
    EXPECT_EQ(join(enc->mask), f[5]);
  }
}

TEST(WordPiece, AgreesWithTheReferenceOnTheShippedModelsTestText) {
  const std::string model = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/text-bert";
  auto tok = wordpiece_tokenizer::load(model);
  ASSERT_TRUE(tok.has_value()) << tok.error().message;
  auto rows = read_lines(data_dir + "/text_bert_ids.tsv");
  ASSERT_GE(rows.size(), 200u);
  for (const auto& line : rows) {
    auto f = split(line, '\t');
    ASSERT_EQ(f.size(), 2u);
    const std::string text = from_hex(f[0]);
    auto enc = tok->encode(text, static_cast<int>(split(f[1], ' ').size()));
    ASSERT_TRUE(enc.has_value()) << enc.error().message;
    EXPECT_EQ(join(enc->ids), f[1]) << text;
  }
}

TEST(WordPiece, ReadsTheConfigOfTheModelDirectory) {
  const std::string dir = temp_dir("config");
  write_file(dir + "/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\ncafé\nCafé\ncafe\n");
  auto dflt = wordpiece_tokenizer::load(dir); // no tokenizer_config.json: lower + strip
  ASSERT_TRUE(dflt.has_value()) << dflt.error().message;
  EXPECT_EQ(dflt->vocab_size(), 7u);
  EXPECT_EQ(dflt->to_ids(*dflt->tokenize("Café")), std::vector<int32_t>{6});

  write_file(dir + "/tokenizer_config.json", R"({"do_lower_case": false, "strip_accents": null})");
  auto cased = wordpiece_tokenizer::load(dir);
  ASSERT_TRUE(cased.has_value()) << cased.error().message;
  EXPECT_EQ(cased->to_ids(*cased->tokenize("Café")), std::vector<int32_t>{5});

  write_file(dir + "/tokenizer_config.json", R"({"do_lower_case": true, "strip_accents": false})");
  auto keep = wordpiece_tokenizer::load(dir);
  ASSERT_TRUE(keep.has_value()) << keep.error().message;
  EXPECT_EQ(keep->to_ids(*keep->tokenize("Café")), std::vector<int32_t>{4});
  EXPECT_EQ(keep->options().model_max_length, 0);

  write_file(dir + "/tokenizer_config.json", R"({"model_max_length": 48})");
  auto sized = wordpiece_tokenizer::load(dir);
  ASSERT_TRUE(sized.has_value()) << sized.error().message;
  EXPECT_EQ(sized->options().model_max_length, 48);
}

TEST(WordPiece, RefusesBadModelDirectoriesNamingTheFile) {
  const std::string dir = temp_dir("bad");
  auto missing = wordpiece_tokenizer::load(dir);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find(dir + "/vocab.txt"), std::string::npos);

  write_file(dir + "/vocab.txt", "[PAD]\n[CLS]\n[SEP]\nx\n");
  auto no_unk = wordpiece_tokenizer::load(dir);
  ASSERT_FALSE(no_unk.has_value());
  EXPECT_NE(no_unk.error().message.find("no [UNK] token"), std::string::npos)
      << no_unk.error().message;

  write_file(dir + "/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nab\xff\n");
  auto bad_utf8 = wordpiece_tokenizer::load(dir);
  ASSERT_FALSE(bad_utf8.has_value());
  EXPECT_NE(bad_utf8.error().message.find("vocab.txt:5: invalid UTF-8 at byte 2"),
            std::string::npos)
      << bad_utf8.error().message;

  write_file(dir + "/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  write_file(dir + "/tokenizer_config.json", R"({"do_lower_case": "yes"})");
  auto bad_config = wordpiece_tokenizer::load(dir);
  ASSERT_FALSE(bad_config.has_value());
  EXPECT_NE(bad_config.error().message.find("tokenizer_config.json: key \"do_lower_case\""),
            std::string::npos)
      << bad_config.error().message;
}

TEST(WordPiece, EncodeRefusesALengthWithoutRoomForClsAndSep) {
  auto tok = wordpiece_tokenizer::create({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}, {});
  ASSERT_TRUE(tok.has_value());
  auto e = tok->encode("x", 1);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, errc::invalid_argument);
}

TEST(UnicodeText, NormalFormsMatchPythonOnKnownStrings) {
  // Values from unicodedata.normalize in Python 3.11 (Unicode 14).
  EXPECT_EQ(nfc(U"e\u0301"), U"\u00e9");
  EXPECT_EQ(nfd(U"\u1e08"), U"C\u0327\u0301");      // C-cedilla-acute
  EXPECT_EQ(nfc(U"C\u0301\u0327"), U"\u1e08");      // marks reordered, then composed
  EXPECT_EQ(nfd(U"\ud55c"), U"\u1112\u1161\u11ab"); // Hangul by formula
  EXPECT_EQ(nfc(U"\u1112\u1161\u11ab"), U"\ud55c");
  EXPECT_EQ(nfc(U"\u0344"), U"\u0308\u0301"); // a composition exclusion
  EXPECT_EQ(lower_each_char(U"\u0130\u03a3"), U"i\u0307\u03c3");
}

TEST(TextData, ReadsLinesAndLabelsAndNamesTheBadLine) {
  const std::string dir = temp_dir("text");
  write_file(dir + "/lines.txt", "first\r\n\nthird");
  auto lines = read_text_lines(dir + "/lines.txt");
  ASSERT_TRUE(lines.has_value()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{"first", "", "third"}));

  write_file(dir + "/bad.txt", "ok\nstill ok\nca\xc3\x28\n");
  auto bad = read_text_lines(dir + "/bad.txt");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            dir + "/bad.txt:3: invalid UTF-8 at byte 2 (truncated sequence) of the line");

  const std::vector<std::string> names = {"de", "en"};
  write_file(dir + "/data.tsv", "Guten\tTag\tde\nhello\t1\n\tde\n");
  auto data = read_labeled_tsv(dir + "/data.tsv", names);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  EXPECT_EQ(data->texts, (std::vector<std::string>{"Guten\tTag", "hello", ""}));
  EXPECT_EQ(data->labels, (std::vector<int>{0, 1, 0}));
  auto first = read_labeled_tsv(dir + "/data.tsv", names, 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->labels.size(), 1u);

  write_file(dir + "/nolabel.tsv", "a\tde\nno tab here\n");
  auto no_tab = read_labeled_tsv(dir + "/nolabel.tsv", names);
  ASSERT_FALSE(no_tab.has_value());
  EXPECT_NE(no_tab.error().message.find("nolabel.tsv:2: expected text<TAB>label"),
            std::string::npos);
  write_file(dir + "/unknown.tsv", "a\tfr\n");
  auto unknown = read_labeled_tsv(dir + "/unknown.tsv", names);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find(
                "unknown.tsv:1: label 'fr' is not one of the model's labels (de, en)"),
            std::string::npos)
      << unknown.error().message;
  write_file(dir + "/range.tsv", "a\t2\n");
  EXPECT_FALSE(read_labeled_tsv(dir + "/range.tsv", names).has_value());
}

TEST(TextData, EncodesABatchAsFloatIdsAndMask) {
  auto tok =
      wordpiece_tokenizer::create({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"}, {});
  ASSERT_TRUE(tok.has_value());
  auto b = encode_texts(*tok, {"x", "Hello world", ""}, 1, 2, 5);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->ids.shape, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(b->ids.data, (std::vector<float>{2, 4, 5, 3, 0, 2, 3, 0, 0, 0}));
  EXPECT_EQ(b->mask.data, (std::vector<float>{1, 1, 1, 1, 0, 1, 1, 0, 0, 0}));
  EXPECT_FALSE(encode_texts(*tok, {"x"}, 0, 2, 5).has_value());
}
