// Bad model directories and bad forward calls give errors that name the key,
// the tensor or the shape, and never crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ops/safetensors.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;
namespace fs = std::filesystem;

namespace {

const std::string source_model = "gray30_p5_h5"; // 2 blocks, 8 planner layers

nlohmann::json source_config() {
  std::ifstream in(reference_dir(source_model) + "/config.json");
  return nlohmann::json::parse(in);
}

// A scratch model directory: the reference config (edited) and its weights (edited).
class model_dir {
public:
  model_dir(const std::string& tag) {
    path_ = ::testing::TempDir() + "/vit_err_" + std::to_string(::getpid()) + "_" + tag;
    fs::create_directories(path_);
  }
  ~model_dir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

  void write_config(const nlohmann::json& j) const {
    std::ofstream(path_ + "/config.json") << j.dump(2);
  }
  void write_config_text(const std::string& text) const {
    std::ofstream(path_ + "/config.json") << text;
  }
  void write_weights(const weight_map& w) const {
    auto ok = write_safetensors(path_ + "/model.safetensors", w);
    ASSERT_TRUE(ok) << ok.error().message;
  }

private:
  std::string path_;
};

weight_map source_weights() {
  auto w = read_safetensors(reference_dir(source_model) + "/model.safetensors");
  EXPECT_TRUE(w) << w.error().message;
  return w ? std::move(*w) : weight_map{};
}

void expect_error_mentions(const expected<vit_model>& m, const std::vector<std::string>& needles) {
  ASSERT_FALSE(m.has_value()) << "loaded a model that should have been refused";
  for (const auto& n : needles)
    EXPECT_NE(m.error().message.find(n), std::string::npos)
        << "'" << m.error().message << "' does not mention '" << n << "'";
}

model_options one_thread() {
  model_options o;
  o.threads = 1;
  return o;
}

TEST(vit_config, reads_every_field_of_a_reference_config) {
  auto c = read_vit_config(reference_dir(source_model) + "/config.json");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->image_size, 30);
  EXPECT_EQ(c->patch_size, 5);
  EXPECT_EQ(c->num_channels, 1);
  EXPECT_EQ(c->hidden_size, 40);
  EXPECT_EQ(c->num_attention_heads, 5);
  EXPECT_EQ(c->num_hidden_layers, 2);
  EXPECT_EQ(c->intermediate_size, 70);
  EXPECT_FLOAT_EQ(c->layer_norm_eps, 1e-6f);
  EXPECT_EQ(c->num_labels, 7);
  ASSERT_EQ(c->labels.size(), 7u);
  EXPECT_EQ(c->labels[3], "class_3");
  EXPECT_EQ(c->tokens(), 37);
  EXPECT_EQ(c->head_dim(), 8);
}

TEST(vit_config, bad_keys_are_named) {
  struct edit {
    std::string key;
    nlohmann::json value; // null: remove the key
    std::string needle;
  };
  const std::vector<edit> edits = {
      {"hidden_size", nullptr, "\"hidden_size\" is missing"},
      {"hidden_size", "forty", "\"hidden_size\" must be an integer"},
      {"image_size", -30, "\"image_size\""},
      {"patch_size", 31, "\"patch_size\""},
      {"num_attention_heads", 7, "\"num_attention_heads\""},
      {"intermediate_size", 70.5, "\"intermediate_size\""},
      {"layer_norm_eps", "small", "\"layer_norm_eps\""},
      {"hidden_act", "relu", "\"hidden_act\""},
      {"id2label", nlohmann::json::object({{"0", "a"}, {"2", "b"}}), "\"id2label\""},
      {"id2label", nullptr, "\"id2label\""},
  };
  model_dir dir("config");
  for (const auto& e : edits) {
    nlohmann::json j = source_config();
    if (e.value.is_null())
      j.erase(e.key);
    else
      j[e.key] = e.value;
    dir.write_config(j);
    auto c = read_vit_config(dir.path() + "/config.json");
    ASSERT_FALSE(c) << "accepted " << e.key << " = " << e.value.dump();
    EXPECT_NE(c.error().message.find(e.needle), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("config.json"), std::string::npos) << c.error().message;
  }
  dir.write_config_text("{\"image_size\": 30,");
  auto c = read_vit_config(dir.path() + "/config.json");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("not valid JSON"), std::string::npos) << c.error().message;
  EXPECT_FALSE(read_vit_config(dir.path() + "/nope.json"));
}

TEST(vit_load, missing_tensor_is_named_and_only_needed_tensors_are_read) {
  model_dir dir("missing");
  dir.write_config(source_config());
  weight_map w = source_weights();
  w.erase("vit.encoder.layer.1.output.dense.bias");
  dir.write_weights(w);
  expect_error_mentions(vit_model::load(dir.path(), one_thread()),
                        {"vit.encoder.layer.1.output.dense.bias", "missing"});
  // A stage holding only block 0 never asks for it.
  model_options stage = one_thread();
  stage.first = 1;
  stage.last = 4;
  auto m = vit_model::load(dir.path(), stage);
  EXPECT_TRUE(m) << m.error().message;
  // Nor does a stage of layers 7:7 (fc2 of block 1 is layer 8).
  stage.first = 7;
  stage.last = 7;
  EXPECT_TRUE(vit_model::load(dir.path(), stage));
}

TEST(vit_load, wrong_shape_is_named_with_both_shapes) {
  model_dir dir("shape");
  dir.write_config(source_config());
  weight_map w = source_weights();
  tensor& fc1 = w.at("vit.encoder.layer.0.intermediate.dense.weight");
  fc1.shape = {fc1.shape[1], fc1.shape[0]}; // [40, 70] instead of [70, 40]
  dir.write_weights(w);
  expect_error_mentions(vit_model::load(dir.path(), one_thread()),
                        {"vit.encoder.layer.0.intermediate.dense.weight", "[40, 70]", "[70, 40]"});
}

TEST(vit_load, config_disagreeing_with_weights_names_the_tensor) {
  model_dir dir("mismatch");
  nlohmann::json j = source_config();
  j["intermediate_size"] = 80;
  dir.write_config(j);
  dir.write_weights(source_weights());
  expect_error_mentions(vit_model::load(dir.path(), one_thread()),
                        {"vit.encoder.layer.0.intermediate.dense.weight", "[80, 40]"});
}

TEST(vit_load, missing_files_and_bad_ranges) {
  model_dir dir("nofile");
  EXPECT_FALSE(vit_model::load(dir.path(), one_thread()));
  dir.write_config(source_config());
  auto m = vit_model::load(dir.path(), one_thread());
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("model.safetensors"), std::string::npos) << m.error().message;
  model_options o = one_thread();
  o.first = 5;
  o.last = 9;
  expect_error_mentions(vit_model::load(reference_dir(source_model), o), {"5:9", "1:8"});
}

TEST(vit_create, checks_names_and_shapes_of_in_memory_weights) {
  auto cfg = read_vit_config(reference_dir(source_model) + "/config.json");
  ASSERT_TRUE(cfg);
  weight_map w = source_weights();
  EXPECT_TRUE(vit_model::create(*cfg, w, one_thread()));
  w.erase("classifier.weight");
  expect_error_mentions(vit_model::create(*cfg, w, one_thread()), {"classifier.weight"});
}

TEST(vit_forward, bad_inputs_are_refused_with_the_expected_shape) {
  auto m = vit_model::load(reference_dir(source_model), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  activation src;
  src.main = tensor::zeros({2, 3, 30, 30}); // 3 channels; the model takes 1
  auto r = m->forward(1, 8, src);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("[2, 1, 30, 30]"), std::string::npos) << r.error().message;

  src.main = tensor::zeros({2, 37, 40}); // layer 2 needs the skip tensor too
  r = m->forward(2, 8, src);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("skip"), std::string::npos) << r.error().message;

  src.skip = tensor::zeros({2, 37, 40}); // layer 3 takes no skip
  EXPECT_FALSE(m->forward(3, 8, src));
  src.skip = {};
  EXPECT_TRUE(m->forward(3, 8, src));

  src.main = tensor::zeros({2, 37, 41});
  EXPECT_FALSE(m->forward(3, 8, src));
  src.main = tensor::zeros({2, 37, 40});
  src.main.data.pop_back(); // data shorter than the shape says
  EXPECT_FALSE(m->forward(3, 8, src));
  src.main = tensor::zeros({2, 37, 40});
  EXPECT_FALSE(m->forward(0, 8, src));
  EXPECT_FALSE(m->forward(3, 9, src));
  EXPECT_FALSE(m->forward(4, 3, src));

  model_options stage = one_thread();
  stage.first = 3;
  stage.last = 6;
  auto part = vit_model::load(reference_dir(source_model), stage);
  ASSERT_TRUE(part) << part.error().message;
  auto outside = part->forward(3, 7, src);
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("3:6"), std::string::npos) << outside.error().message;
  EXPECT_TRUE(part->forward(3, 6, src));
}

TEST(vit_dtype, parses_and_prints) {
  EXPECT_EQ(*parse_dtype("f32"), dtype::f32);
  EXPECT_EQ(*parse_dtype("bf16"), dtype::bf16);
  EXPECT_FALSE(parse_dtype("fp16"));
  EXPECT_STREQ(to_string(dtype::bf16), "bf16");
}

} // namespace
