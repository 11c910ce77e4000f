// config.json dispatch on the family, clear errors for layouts we do not run,
// PipeEdge's model names, and synthetic models of each family's published sizes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "family_test_util.hpp"
#include "ops/model_weights.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Writes `j` as a config.json in a scratch directory; returns its path.
std::string write_config(const nlohmann::json& j, const std::string& tag) {
  const std::string dir =
      ::testing::TempDir() + "/model_config_" + std::to_string(::getpid()) + "_" + tag;
  fs::create_directories(dir);
  std::ofstream(dir + "/config.json") << j.dump();
  return dir + "/config.json";
}

void expect_refused(const nlohmann::json& j, const std::string& tag,
                    const std::vector<std::string>& needles) {
  const std::string path = write_config(j, tag);
  auto c = read_model_config(path);
  fs::remove_all(fs::path(path).parent_path());
  ASSERT_FALSE(c.has_value()) << tag << ": accepted";
  for (const auto& n : needles)
    EXPECT_NE(c.error().message.find(n), std::string::npos)
        << "'" << c.error().message << "' does not mention '" << n << "'";
}

TEST(model_config, reads_the_family_and_layout_of_each_reference) {
  auto deit = read_model_config(deit_dir("rgb32_p8_h4_distilled") + "/config.json");
  ASSERT_TRUE(deit) << deit.error().message;
  EXPECT_EQ(deit->family, model_family::deit);
  EXPECT_TRUE(deit->distilled);
  EXPECT_EQ(deit->tokens(), 16 + 2);
  EXPECT_EQ(deit->prefix, "deit.");
  auto plain = read_model_config(deit_dir("gray28_p7_h3") + "/config.json");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->distilled);
  EXPECT_EQ(plain->tokens(), 16 + 2); // HF's DeiTForImageClassification keeps both tokens
  auto bert = read_model_config(bert_dir("v97_h4_cls_padded") + "/config.json");
  ASSERT_TRUE(bert) << bert.error().message;
  EXPECT_EQ(bert->family, model_family::bert);
  EXPECT_TRUE(bert->classifier);
  EXPECT_EQ(bert->vocab_size, 97);
  EXPECT_EQ(bert->max_position_embeddings, 40);
  EXPECT_EQ(bert->num_labels, 3);
  EXPECT_EQ(bert->output_size(), 3);
  auto pooled = read_model_config(bert_dir("v50_h3_model_f16") + "/config.json");
  ASSERT_TRUE(pooled) << pooled.error().message;
  EXPECT_FALSE(pooled->classifier);
  EXPECT_EQ(pooled->type_vocab_size, 3);
  EXPECT_EQ(pooled->output_size(), 36); // BertModel: the pooled output
  auto vit = read_model_config(reference_dir("rgb32_p8_h4") + "/config.json");
  ASSERT_TRUE(vit) << vit.error().message;
  EXPECT_EQ(vit->family, model_family::vit);
  EXPECT_EQ(vit->tokens(), 17);
}

TEST(model_config, other_layouts_and_families_are_refused_by_name) {
  auto deit = read_json(deit_dir("gray28_p7_h3") + "/config.json");
  deit["architectures"] = {"DeiTForMaskedImageModeling"};
  expect_refused(deit, "deit_mim", {"DeiTForMaskedImageModeling", "DeiTForImageClassification"});
  auto bert = read_json(bert_dir("v97_h4_cls_padded") + "/config.json");
  auto qa = bert;
  qa["architectures"] = {"BertForQuestionAnswering"};
  expect_refused(qa, "bert_qa", {"BertForQuestionAnswering", "BertForSequenceClassification"});
  auto rel = bert;
  rel["position_embedding_type"] = "relative_key";
  expect_refused(rel, "bert_rel", {"position_embedding_type"});
  auto act = bert;
  act["hidden_act"] = "gelu_new";
  expect_refused(act, "bert_act", {"hidden_act"});
  auto other = bert;
  other["model_type"] = "roberta";
  expect_refused(other, "roberta", {"roberta", "vit, deit and bert"});
  auto no_vocab = bert;
  no_vocab.erase("vocab_size");
  expect_refused(no_vocab, "no_vocab", {"vocab_size", "missing"});
}

// With no "architectures", a DeiT's layout comes from its head's tensor names.
TEST(model_config, a_deit_without_architectures_is_told_apart_by_its_tensors) {
  for (const std::string name : {"rgb32_p8_h4_distilled", "gray28_p7_h3"}) {
    const std::string src = deit_dir(name);
    auto j = read_json(src + "/config.json");
    j.erase("architectures");
    const std::string cfg_path = write_config(j, "deit_noarch_" + name);
    const std::string dir = fs::path(cfg_path).parent_path().string();
    fs::copy_file(src + "/model.safetensors", dir + "/model.safetensors");
    auto m = model::load(dir, one_thread());
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->config().distilled, name == "rgb32_p8_h4_distilled");
    auto out = m->classify(load_npy(src + "/images.npy"));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(*out, load_npy(src + "/logits.npy")), 1e-4) << name;
    fs::remove_all(dir);
  }
}

TEST(model_config, a_bert_model_saved_alone_loads_without_the_prefix) {
  // v50_h3_model_f16 was written with no "bert." prefix (a BertModel's own names).
  auto m = model::load(bert_dir("v50_h3_model_f16"), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->config().prefix, "");
  auto p = model::load(bert_dir("v97_h4_cls_padded"), one_thread());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->config().prefix, "bert.");
}

// PipeEdge's names with the published sizes, and their parameter counts
// against the published ones (tolerant of the head: labels differ).
TEST(named_model_config, pipeedge_names_have_the_published_sizes) {
  struct row {
    const char* name;
    model_family family;
    int d, layers, tokens;
    double params_m; // published parameter count, millions
  };
  const row rows[] = {
      {"google/vit-base-patch16-224", model_family::vit, 768, 12, 197, 86.6},
      {"google/vit-large-patch16-224", model_family::vit, 1024, 24, 197, 304.3},
      {"google/vit-huge-patch14-224-in21k", model_family::vit, 1280, 32, 257, 632.0},
      {"facebook/deit-base-distilled-patch16-224", model_family::deit, 768, 12, 198, 87.3},
      {"facebook/deit-small-distilled-patch16-224", model_family::deit, 384, 12, 198, 22.4},
      {"facebook/deit-tiny-distilled-patch16-224", model_family::deit, 192, 12, 198, 5.9},
      {"bert-base-uncased", model_family::bert, 768, 12, 128, 109.5},
      {"bert-large-uncased", model_family::bert, 1024, 24, 128, 335.1},
      {"textattack/bert-base-uncased-CoLA", model_family::bert, 768, 12, 128, 109.5},
  };
  for (const auto& r : rows) {
    auto c = named_model_config(r.name);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->family, r.family) << r.name;
    EXPECT_EQ(c->hidden_size, r.d) << r.name;
    EXPECT_EQ(c->num_hidden_layers, r.layers) << r.name;
    EXPECT_EQ(c->tokens(), r.tokens) << r.name;
    EXPECT_EQ(pipeedge_model_name(r.name), r.name);
    double params = 0;
    for (const auto& spec : range_weights(*c, 1, c->planner_layers())) {
      double n = 1;
      for (int64_t s : spec.shape) n *= static_cast<double>(s);
      params += n;
    }
    EXPECT_NEAR(params / 1e6, r.params_m, 0.01 * r.params_m) << r.name;
  }
  EXPECT_EQ(pipeedge_model_name("deit-tiny"), "facebook/deit-tiny-distilled-patch16-224");
  EXPECT_EQ(pipeedge_model_name("bert-large"), "bert-large-uncased");
  auto bad = named_model_config("gpt2");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bert-base-uncased"), std::string::npos);
}

// A synthetic model of each family runs end to end, and a stage of it holds the same weights.
TEST(synthetic_models, every_family_runs_and_stages_agree) {
  for (const char* name : {"deit-tiny", "bert-base"}) {
    model_config c = *named_model_config(name);
    c.num_hidden_layers = 2; // the published width, two blocks: quick
    if (c.is_text()) c.sequence_length = 16;
    auto whole = model::synthetic(c, 7, one_thread());
    ASSERT_TRUE(whole) << whole.error().message;
    const activation in = synthetic_input(c, 2, 3);
    auto out = whole->forward(1, 8, in);
    ASSERT_TRUE(out) << name << ": " << out.error().message;
    EXPECT_EQ(out->main.shape, (std::vector<int64_t>{2, c.output_size()})) << name;
    auto mid = whole->forward(1, 5, in);
    ASSERT_TRUE(mid) << mid.error().message;
    model_options o = one_thread();
    o.first = 6;
    auto stage = model::synthetic(c, 7, o);
    ASSERT_TRUE(stage) << stage.error().message;
    auto rest = stage->forward(6, 8, *mid);
    ASSERT_TRUE(rest) << rest.error().message;
    EXPECT_EQ(rest->main.data, out->main.data) << name;
  }
  auto by_name = model::synthetic("facebook/deit-tiny-distilled-patch16-224", 1, one_thread());
  ASSERT_TRUE(by_name) << by_name.error().message;
  EXPECT_EQ(by_name->num_layers(), 48);
}

} // namespace
