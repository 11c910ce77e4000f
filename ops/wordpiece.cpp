// BERT's WordPiece tokenizer over UTF-32 text (one code point per element, so
// "characters" and the 100-character word limit count what Python counts).
#include "ops/wordpiece.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/path.hpp"
#include "ops/unicode_text.hpp"

namespace edgepipe::ops {
namespace {

using json = nlohmann::json;

// Hugging Face's special tokens of BERT: pass through the text whole.
const char32_t* const special_tokens[] = {U"[PAD]", U"[UNK]", U"[CLS]", U"[SEP]", U"[MASK]"};

// The length of the special token that starts at text[i], or 0.
size_t special_at(std::u32string_view text, size_t i) {
  for (const char32_t* s : special_tokens) {
    std::u32string_view sv(s);
    if (text.substr(i, sv.size()) == sv) return sv.size();
  }
  return 0;
}

std::u32string strip_accents(std::u32string_view word) {
  std::u32string out;
  for (char32_t c : nfd(word))
    if (!is_nonspacing_mark(c)) out.push_back(c);
  return out;
}

expected<std::string> read_file(const std::string& path) {
  if (auto ok = check_path(path); !ok) return ok.error();
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(errc::not_found, path + ": cannot open");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

expected<bool> optional_bool(const json& j, const std::string& path, const char* key, bool dflt) {
  if (!j.contains(key)) return dflt;
  if (!j.at(key).is_boolean())
    return make_error(errc::invalid_input, path + ": key \"" + key +
                                               "\" must be true or false, got " + j.at(key).dump());
  return j.at(key).get<bool>();
}

expected<wordpiece_options> read_options(const std::string& path) {
  wordpiece_options o;
  auto text = read_file(path);
  if (!text) return o; // no tokenizer_config.json: Hugging Face's defaults
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(errc::invalid_input, path + ": not a JSON object");
  auto lower = optional_bool(j, path, "do_lower_case", true);
  if (!lower) return lower.error();
  o.lower_case = *lower;
  auto cjk = optional_bool(j, path, "tokenize_chinese_chars", true);
  if (!cjk) return cjk.error();
  o.split_cjk = *cjk;
  if (j.contains("model_max_length")) {
    const json& v = j.at("model_max_length");
    // Hugging Face writes a huge number for "no limit": only a usable length counts.
    if (!v.is_number_integer() || v.get<int64_t>() < 2)
      return make_error(errc::invalid_input, path +
                                                 ": key \"model_max_length\" must be an "
                                                 "integer >= 2, got " +
                                                 v.dump());
    if (v.get<int64_t>() <= (1 << 20)) o.model_max_length = static_cast<int>(v.get<int64_t>());
  }
  if (j.contains("strip_accents") && !j.at("strip_accents").is_null()) {
    auto strip = optional_bool(j, path, "strip_accents", false);
    if (!strip) return strip.error();
    o.strip_accents = *strip ? accent_stripping::strip : accent_stripping::keep;
  }
  return o;
}

} // namespace

expected<wordpiece_tokenizer> wordpiece_tokenizer::load(const std::string& model_dir) {
  const std::string vocab_path = model_dir + "/vocab.txt";
  auto text = read_file(vocab_path);
  if (!text) return text.error();
  std::vector<std::string> vocab;
  std::string line;
  std::istringstream lines(*text);
  while (std::getline(lines, line)) {
    if (auto u = decode_utf8(line); !u)
      return make_error(errc::invalid_input, vocab_path + ":" + std::to_string(vocab.size() + 1) +
                                                 ": " + u.error().message);
    vocab.push_back(line);
  }
  auto options = read_options(model_dir + "/tokenizer_config.json");
  if (!options) return options.error();
  auto t = create(std::move(vocab), *options);
  if (!t) return make_error(t.error().code, vocab_path + ": " + t.error().message);
  return t;
}

expected<wordpiece_tokenizer> wordpiece_tokenizer::create(std::vector<std::string> vocab,
                                                          const wordpiece_options& options) {
  wordpiece_tokenizer t;
  t.options_ = options;
  for (size_t i = 0; i < vocab.size(); ++i) {
    auto u = decode_utf8(vocab[i]);
    if (!u)
      return make_error(errc::invalid_input,
                        "token " + std::to_string(i) + ": " + u.error().message);
    t.vocab_[*u] = static_cast<int32_t>(i); // a repeated token: the last id wins, as in HF
  }
  t.tokens_ = std::move(vocab);
  struct {
    const char* name;
    int32_t* id;
  } required[] = {{"[UNK]", &t.unk_}, {"[CLS]", &t.cls_}, {"[SEP]", &t.sep_}, {"[PAD]", &t.pad_}};
  for (auto& r : required) {
    *r.id = t.id_of(r.name);
    if (*r.id < 0)
      return make_error(errc::invalid_input,
                        std::string("the vocabulary has no ") + r.name + " token");
  }
  return t;
}

int32_t wordpiece_tokenizer::id_of(const std::string& token) const {
  auto u = decode_utf8(token);
  if (!u) return -1;
  auto it = vocab_.find(*u);
  return it == vocab_.end() ? -1 : it->second;
}

// BasicTokenizer on one piece of text without special tokens: words after
// cleaning, CJK spacing, NFC, whitespace split, lower-casing / accent
// stripping and punctuation split.
void wordpiece_tokenizer::basic_split(std::u32string_view piece,
                                      std::vector<std::u32string>& words) const {
  std::u32string text;
  for (char32_t c : piece) {
    if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
    if (is_bert_whitespace(c)) {
      text.push_back(U' ');
    } else if (options_.split_cjk && is_cjk_ideograph(c)) {
      text.push_back(U' ');
      text.push_back(c);
      text.push_back(U' ');
    } else {
      text.push_back(c);
    }
  }
  text = nfc(text);
  const bool strip =
      options_.strip_accents == accent_stripping::strip ||
      (options_.strip_accents == accent_stripping::follow_lower_case && options_.lower_case);
  size_t i = 0;
  while (i < text.size()) {
    if (is_python_space(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !is_python_space(text[end])) ++end;
    std::u32string word = text.substr(i, end - i);
    i = end;
    // Cleaning can spell a special token ("[C<U+200B>LS]"): kept whole, as HF's never_split.
    if (special_at(word, 0) == word.size()) {
      words.push_back(std::move(word));
      continue;
    }
    if (options_.lower_case) word = lower_each_char(word);
    if (strip) word = strip_accents(word);
    // Every punctuation character is a word of its own.
    std::u32string current;
    for (char32_t c : word) {
      if (is_bert_punctuation(c)) {
        if (!current.empty()) words.push_back(std::move(current));
        current.clear();
        words.push_back(std::u32string(1, c));
      } else {
        current.push_back(c);
      }
    }
    if (!current.empty()) words.push_back(std::move(current));
  }
}

void wordpiece_tokenizer::wordpiece(const std::u32string& word,
                                    std::vector<std::string>& out) const {
  if (static_cast<int>(word.size()) > options_.max_chars_per_word) {
    out.push_back(tokens_[unk_]);
    return;
  }
  std::vector<std::string> pieces;
  size_t start = 0;
  std::u32string candidate;
  while (start < word.size()) {
    int32_t found = -1;
    size_t end = word.size();
    for (; end > start; --end) {
      candidate.assign(start > 0 ? U"##" : U"");
      candidate.append(word, start, end - start);
      auto it = vocab_.find(candidate);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) { // no piece fits here: the whole word is unknown
      out.push_back(tokens_[unk_]);
      return;
    }
    pieces.push_back(encode_utf8(candidate));
    start = end;
  }
  for (auto& p : pieces) out.push_back(std::move(p));
}

expected<std::vector<std::string>> wordpiece_tokenizer::tokenize(std::string_view text) const {
  auto decoded = decode_utf8(text);
  if (!decoded) return decoded.error();
  const std::u32string& u = *decoded;
  std::vector<std::string> tokens;
  std::vector<std::u32string> words;
  size_t piece_start = 0;
  auto flush = [&](size_t end) {
    if (end <= piece_start) return;
    std::u32string_view piece(u.data() + piece_start, end - piece_start);
    std::u32string lowered;
    if (options_.lower_case) piece = lowered = lower_each_char(piece);
    words.clear();
    basic_split(piece, words);
    for (const auto& w : words) wordpiece(w, tokens);
  };
  size_t i = 0;
  while (i < u.size()) {
    const size_t n = special_at(u, i);
    if (n == 0) {
      ++i;
      continue;
    }
    flush(i);
    tokens.push_back(encode_utf8(u.substr(i, n)));
    i += n;
    piece_start = i;
  }
  flush(u.size());
  return tokens;
}

std::vector<int32_t> wordpiece_tokenizer::to_ids(const std::vector<std::string>& tokens) const {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) {
    const int32_t id = id_of(t);
    ids.push_back(id < 0 ? unk_ : id);
  }
  return ids;
}

expected<encoded_text> wordpiece_tokenizer::encode(std::string_view text, int length) const {
  if (length < 2)
    return make_error(errc::invalid_argument, "sequence length " + std::to_string(length) +
                                                  " leaves no room for [CLS] and [SEP]");
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  std::vector<int32_t> body = to_ids(*tokens);
  if (body.size() > static_cast<size_t>(length - 2)) body.resize(length - 2);
  encoded_text e;
  e.ids.reserve(length);
  e.ids.push_back(cls_);
  e.ids.insert(e.ids.end(), body.begin(), body.end());
  e.ids.push_back(sep_);
  e.mask.assign(e.ids.size(), 1);
  e.ids.resize(length, pad_);
  e.mask.resize(length, 0);
  return e;
}

} // namespace edgepipe::ops
