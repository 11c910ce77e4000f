// The shipped text BERT (examples/models/text-bert): the oneDNN forward
// matches PyTorch's logits on the training script's first 32 test sentences
// (tests/data/text_bert_ref), the C++ tokenizer gives PyTorch's ids for them,
// and `edgepipe eval` / `edgepipe infer --text` reach the reported accuracy,
// also with quantized stage boundaries.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ops/model.hpp"
#include "ops/npy.hpp"
#include "ops/text_data.hpp"
#include "ops/wordpiece.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

const std::string source_dir = EDGEPIPE_SOURCE_DIR;
const std::string model_dir = source_dir + "/examples/models/text-bert";
const std::string ref_dir = source_dir + "/tests/data/text_bert_ref";
const std::string test_tsv = source_dir + "/examples/data/langid-test.tsv";
const std::string binary = EDGEPIPE_BINARY;

// The test accuracy tools/train_text_bert.py reported (training_log.json),
// less a margin for float differences between PyTorch and oneDNN.
constexpr double reported_accuracy = 0.9354; // 1637 / 1750
constexpr double margin = 0.005;

tensor npy(const std::string& path) {
  auto t = read_npy(path);
  EXPECT_TRUE(t.has_value()) << path;
  return t ? *t : tensor{};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct run_result {
  int exit_code = -1;
  std::string out, err;
};

run_result run(const std::string& arguments) {
  const std::string base = ::testing::TempDir() + "/text_bert_" + std::to_string(::getpid());
  std::string cmd = "'" + binary + "' " + arguments + " >'" + base + ".out' 2>'" + base + ".err'";
  int status = std::system(cmd.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

nlohmann::json last_json(const std::string& out) {
  size_t end = out.find_last_not_of('\n');
  size_t begin = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(begin == std::string::npos ? 0 : begin + 1), nullptr,
                               false);
}

} // namespace

TEST(TextBert, TokenizerAndForwardMatchPyTorch) {
  tensor ids = npy(ref_dir + "/ids.npy"), mask = npy(ref_dir + "/mask.npy");
  tensor want = npy(ref_dir + "/logits.npy");
  ASSERT_EQ(ids.shape.size(), 2u);
  const int64_t n = ids.shape[0], seq = ids.shape[1];

  // The C++ tokenizer encodes the same sentences to the same ids and mask.
  auto tok = wordpiece_tokenizer::load(model_dir);
  ASSERT_TRUE(tok.has_value()) << tok.error().message;
  std::vector<std::string> names = {"de", "en", "es", "fr", "it", "nl", "pl"};
  auto data = read_labeled_tsv(test_tsv, names, n);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  auto batch = encode_texts(*tok, data->texts, 0, n, static_cast<int>(seq));
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  EXPECT_EQ(batch->ids.data, ids.data);
  EXPECT_EQ(batch->mask.data, mask.data);

  auto model = ops::model::load(model_dir);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  EXPECT_EQ(model->config().labels, names);
  activation in;
  in.main = ids;
  in.mask = mask;
  auto out = model->forward(1, model->num_layers(), in);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  ASSERT_EQ(out->main.shape, want.shape);
  float worst = 0;
  for (size_t i = 0; i < want.data.size(); ++i)
    worst = std::max(worst, std::abs(out->main.data[i] - want.data[i]));
  EXPECT_LE(worst, 1e-4);
}

TEST(TextBert, EvalReachesTheReportedAccuracy) {
  auto r = run("eval --threads 1 --model " + model_dir + " --data " + test_tsv + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = last_json(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["texts"].get<int>(), 1750);
  EXPECT_GE(j["accuracy"].get<double>(), reported_accuracy - margin) << r.out;
}

TEST(TextBert, EightBitLinksAtEveryBlockCostLittle) {
  auto base =
      run("eval --threads 1 --model " + model_dir + " --data " + test_tsv + " --limit 500 --json");
  auto q8 = run("eval --threads 1 --model " + model_dir + " --data " + test_tsv +
                " --limit 500 --json --split 2 --bits 8");
  auto raw = run("eval --threads 1 --model " + model_dir + " --data " + test_tsv +
                 " --limit 500 --json --cuts 1,2,3,4,5,6,7");
  ASSERT_EQ(base.exit_code, 0) << base.err;
  ASSERT_EQ(q8.exit_code, 0) << q8.err;
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  auto jb = last_json(base.out), jq = last_json(q8.out), jr = last_json(raw.out);
  EXPECT_NEAR(jq["accuracy"].get<double>(), jb["accuracy"].get<double>(), 0.01);
  EXPECT_LT(jq["wire_bytes_per_image"].get<double>(),
            0.3 * jq["raw_bytes_per_image"].get<double>());
  // float32 frames at every planner boundary (the mask beside them) change nothing.
  EXPECT_EQ(jr["correct"], jb["correct"]);
}

TEST(TextBert, InferTextPrintsALabelPerLine) {
  const std::string path = ::testing::TempDir() + "/text_bert_in_" + std::to_string(::getpid());
  {
    std::ofstream f(path);
    f << "Das ist ein Satz auf Deutsch, der eine Datei beschreibt.\n"
         "Ceci est une phrase en français qui décrit un fichier.\n"
         "\n"
         "This is an English sentence that describes a file.\n";
  }
  auto r = run("infer --model " + model_dir + " --text " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(lines, line)) labels.push_back(line.substr(0, line.find('\t')));
  ASSERT_EQ(labels.size(), 4u) << r.out; // the empty line gets a prediction too
  EXPECT_EQ(labels[0], "de");
  EXPECT_EQ(labels[1], "fr");
  EXPECT_EQ(labels[3], "en");

  std::ofstream(path, std::ios::binary) << "ok\nca\xc3\n";
  auto bad = run("infer --model " + model_dir + " --text " + path);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(path + ":2: invalid UTF-8 at byte 2"), std::string::npos) << bad.err;
}

TEST(TextBert, BadTextArgumentsExitWithCode2NamingTheProblem) {
  const std::string path = ::testing::TempDir() + "/text_bert_bad_" + std::to_string(::getpid());
  std::ofstream(path) << "Guten Tag\tde\nBonjour\tklingon\n";
  auto label = run("eval --model " + model_dir + " --data " + path);
  EXPECT_EQ(label.exit_code, 2);
  EXPECT_NE(label.err.find(path + ":2: label 'klingon' is not one of the model's labels"),
            std::string::npos)
      << label.err;
  auto seq = run("eval --model " + model_dir + " --data " + test_tsv + " --seq 64");
  EXPECT_EQ(seq.exit_code, 2);
  EXPECT_NE(seq.err.find("max_position_embeddings"), std::string::npos) << seq.err;
  auto both = run("infer --model " + model_dir + " --text " + path + " --input x.npy");
  EXPECT_EQ(both.exit_code, 2);
  auto neither = run("infer --model " + model_dir);
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("--text FILE"), std::string::npos) << neither.err;
}
