// Every way a model directory can be broken, as a table: each row damages a
// copy of a reference model (its config.json, its safetensors header or its
// bytes) and names what the error must say: the file, and the tensor where
// one is at fault. Loading never crashes and never allocates from a size the
// file claims beyond what it holds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A model directory in parts: config.json, and model.safetensors as its JSON
// header and data section (or, when `raw` is set, exactly those bytes).
struct model_parts {
  json config;
  json header;
  std::string data;
  std::optional<std::string> raw;

  static model_parts of(const std::string& dir) {
    model_parts p;
    p.config = json::parse(read_bytes(dir + "/config.json"));
    std::string file = read_bytes(dir + "/model.safetensors");
    uint64_t n = 0;
    std::memcpy(&n, file.data(), 8);
    p.header = json::parse(file.substr(8, n));
    p.data = file.substr(8 + n);
    return p;
  }
  std::string safetensors() const {
    if (raw) return *raw;
    std::string h = header.dump();
    uint64_t n = h.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + h + data;
  }
  void write(const std::string& dir) const {
    fs::create_directories(dir);
    std::ofstream(dir + "/config.json") << config.dump(2);
    std::ofstream(dir + "/model.safetensors", std::ios::binary) << safetensors();
  }
};

struct damage {
  const char* what;
  std::function<void(model_parts&)> apply;
  std::vector<std::string> needles; // the error must contain each
};

// Runs every row: a fresh copy of `source`, damaged, loaded whole.
void expect_refused(const std::string& source, const std::vector<damage>& rows) {
  const model_parts good = model_parts::of(source);
  const std::string dir = ::testing::TempDir() + "/model_files_" + std::to_string(::getpid());
  good.write(dir);
  model_options one;
  one.threads = 1;
  auto ok = vit_model::load(dir, one);
  ASSERT_TRUE(ok) << "the undamaged copy does not load: " << ok.error().message;
  for (const auto& row : rows) {
    model_parts p = good;
    row.apply(p);
    fs::remove_all(dir);
    p.write(dir);
    auto m = vit_model::load(dir, one);
    ASSERT_FALSE(m) << row.what << ": loaded";
    for (const auto& n : row.needles)
      EXPECT_NE(m.error().message.find(n), std::string::npos)
          << row.what << ": '" << m.error().message << "' does not name '" << n << "'";
  }
  fs::remove_all(dir);
}

// The data section's range of one tensor.
std::pair<uint64_t, uint64_t> offsets(const model_parts& p, const std::string& name) {
  const auto& o = p.header.at(name).at("data_offsets");
  return {o[0].get<uint64_t>(), o[1].get<uint64_t>()};
}

const std::string vit_dir = ops::testing::reference_dir("gray30_p5_h5");
const std::string st = "model.safetensors";
const std::string fc2_bias = "vit.encoder.layer.1.output.dense.bias";           // [40], F32
const std::string fc1_weight = "vit.encoder.layer.0.intermediate.dense.weight"; // [70, 40]

TEST(ModelFiles, EveryDamagedViTIsRefusedNamingTheFileAndTensor) {
  std::vector<damage> rows = {
      {"file of 5 bytes",
       [](model_parts& p) { p.raw = std::string("\x10\0\0\0\0", 5); },
       {st, "too short for the 8-byte header length"}},
      {"empty file", [](model_parts& p) { p.raw = std::string(); }, {st, "file has 0 bytes"}},
      {"header length beyond the file",
       [](model_parts& p) {
         std::string f = p.safetensors();
         uint64_t n = f.size(); // header_len + 8 > size
         std::memcpy(&f[0], &n, 8);
         p.raw = f;
       },
       {st, "header length", "goes beyond the end of the file"}},
      {"header length of 2^63",
       [](model_parts& p) {
         std::string f = p.safetensors();
         uint64_t n = uint64_t(1) << 63;
         std::memcpy(&f[0], &n, 8);
         p.raw = f;
       },
       {st, "exceeds the 100 MB limit"}},
      {"truncated in the header",
       [](model_parts& p) { p.raw = p.safetensors().substr(0, 200); },
       {st, "goes beyond the end of the file"}},
      {"truncated in the data",
       [](model_parts& p) { p.data.resize(p.data.size() / 2); },
       {st, "beyond the data section", "truncated"}},
      {"header not JSON",
       [](model_parts& p) {
         std::string f = p.safetensors();
         f[8] = '[';
         f[9] = '!';
         p.raw = f;
       },
       {st, "not valid JSON"}},
      {"header a JSON array",
       [](model_parts& p) {
         p.header = json::array({1, 2});
       },
       {st, "not a JSON object"}},
      {"missing tensor",
       [](model_parts& p) { p.header.erase(fc2_bias); },
       {st, fc2_bias, "missing"}},
      {"tensor of the wrong shape",
       [](model_parts& p) {
         p.header[fc1_weight]["shape"] = {40, 70}; // same bytes, transposed
       },
       {st, fc1_weight, "[40, 70]", "[70, 40]"}},
      {"tensor of an integer dtype",
       [](model_parts& p) {
         p.header[fc2_bias]["dtype"] = "I32"; // same 4 bytes per element
       },
       {st, fc2_bias, "I32", "not supported"}},
      {"tensor of an unknown dtype",
       [](model_parts& p) { p.header[fc2_bias]["dtype"] = "F24"; },
       {st, fc2_bias, "unknown dtype 'F24'"}},
      {"dtype and size disagree",
       [](model_parts& p) { p.header[fc2_bias]["dtype"] = "F64"; },
       {st, fc2_bias, "needs 320"}},
      {"offsets past the data",
       [](model_parts& p) {
         auto [b, e] = offsets(p, fc2_bias);
         p.header[fc2_bias]["data_offsets"] = {b + (uint64_t(1) << 40), e + (uint64_t(1) << 40)};
       },
       {st, fc2_bias, "beyond the data section"}},
      {"offsets reversed",
       [](model_parts& p) {
         auto [b, e] = offsets(p, fc2_bias);
         p.header[fc2_bias]["data_offsets"] = {e, b};
       },
       {st, fc2_bias, "reversed"}},
      {"shape claiming 2^62 elements",
       [](model_parts& p) {
         p.header[fc2_bias]["shape"] = {uint64_t(1) << 62, 4};
       },
       {st, fc2_bias, "too large"}},
      {"negative dimension",
       [](model_parts& p) { p.header[fc2_bias]["shape"] = {-40}; },
       {st, fc2_bias, "negative dimension"}},
      {"tensors overlapping",
       [](model_parts& p) {
         auto [b, e] = offsets(p, "classifier.bias");
         (void)e;
         p.header[fc2_bias]["data_offsets"] = {b, b + 160};
       },
       {st, "overlaps"}},
      {"config: intermediate_size disagrees",
       [](model_parts& p) { p.config["intermediate_size"] = 80; },
       {st, fc1_weight, "[80, 40]", "config.json"}},
      {"config: one block more than the weights",
       [](model_parts& p) { p.config["num_hidden_layers"] = 3; },
       {st, "vit.encoder.layer.2.", "missing"}},
      {"config: more labels than the classifier",
       [](model_parts& p) {
         p.config["num_labels"] = 9;
         p.config.erase("id2label");
         p.config.erase("label2id");
       },
       {st, "classifier."}},
      {"config: image size disagrees with the position embeddings",
       [](model_parts& p) { p.config["image_size"] = 35; },
       {st, "vit.embeddings.position_embeddings"}},
      {"config: hidden size 10x the weights'",
       [](model_parts& p) {
         p.config["hidden_size"] = 400;
         p.config["intermediate_size"] = 700;
       },
       {st, "vit.", "400]"}},
      {"config: hidden size absurd",
       [](model_parts& p) {
         p.config["hidden_size"] = 1 << 30;
         p.config["intermediate_size"] = 1 << 30;
       },
       {"config.json", "hidden_size"}},
      {"config not JSON", [](model_parts& p) { p.config = "{"; }, {"config.json"}},
  };
  expect_refused(vit_dir, rows);
}

TEST(ModelFiles, ABertWhoseConfigDisagreesNamesTheTensor) {
  const std::string bert = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/text-bert";
  std::vector<damage> rows = {
      {"vocab_size disagrees",
       [](model_parts& p) { p.config["vocab_size"] = 3001; },
       {st, "bert.embeddings.word_embeddings.weight", "[3001, 64]"}},
      {"type_vocab_size disagrees",
       [](model_parts& p) { p.config["type_vocab_size"] = 3; },
       {st, "bert.embeddings.token_type_embeddings.weight"}},
      {"an attention tensor missing",
       [](model_parts& p) { p.header.erase("bert.encoder.layer.1.attention.self.key.bias"); },
       {st, "layer.1.attention.self.key.bias"}},
  };
  expect_refused(bert, rows);
}

TEST(ModelFiles, PathsThatAreNoModelAreRefused) {
  model_options one;
  one.threads = 1;
  // A NUL byte would cut the path short: config.json would be opened as the weights.
  std::string cut = vit_dir + "/config.json";
  cut.push_back('\0');
  auto m = vit_model::load(cut, one);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("NUL"), std::string::npos) << m.error().message;
  m = vit_model::load(vit_dir + "/does-not-exist", one);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("config.json"), std::string::npos) << m.error().message;
  // A directory where the weights file should be.
  const std::string dir = ::testing::TempDir() + "/model_files_dir_" + std::to_string(::getpid());
  fs::create_directories(dir + "/model.safetensors");
  fs::copy_file(vit_dir + "/config.json", dir + "/config.json");
  m = vit_model::load(dir, one);
  fs::remove_all(dir);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("not a regular file"), std::string::npos) << m.error().message;
}

} // namespace
