// model_descriptor against the real thing: the shapes vit_model::forward
// returns at every layer, the tensors in the shipped safetensors files, and
// the bytes of weights a model actually holds for a layer range.
#include <gtest/gtest.h>

#include <set>

#include "ops/cpu_support.hpp"
#include "ops/layer_descriptor.hpp"
#include "ops/safetensors.hpp"
#include "ops/stage_memory.hpp"
#include "ops/vit_model.hpp"
#include "ops/vit_weights.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

const std::string fashion_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";

// Every matmul size a multiple of 64 (C*p*p = 768, D = 128, I = 256, 64
// labels): oneDNN's blocked layouts need no padding, so bytes compare exactly.
vit_config aligned_config() {
  vit_config c;
  c.image_size = 32;
  c.patch_size = 16;
  c.num_channels = 3;
  c.hidden_size = 128;
  c.num_attention_heads = 2;
  c.num_hidden_layers = 3;
  c.intermediate_size = 256;
  c.num_labels = 64;
  return c;
}

// Odd sizes everywhere (hidden 40, 5 heads, 7 labels).
vit_config odd_config() {
  vit_config c;
  c.image_size = 20;
  c.patch_size = 4;
  c.num_channels = 3;
  c.hidden_size = 40;
  c.num_attention_heads = 5;
  c.num_hidden_layers = 2;
  c.intermediate_size = 72;
  c.num_labels = 7;
  return c;
}

std::vector<int64_t> with_batch(int64_t b, const std::vector<int64_t>& per_sample) {
  std::vector<int64_t> s{b};
  s.insert(s.end(), per_sample.begin(), per_sample.end());
  return s;
}

// Runs the model layer by layer and checks each output against the descriptor.
void expect_shapes_match(vit_model& model, const model_descriptor& desc) {
  const int64_t batch = 2;
  ASSERT_EQ(desc.num_layers(), model.num_layers());
  activation cur;
  cur.main = tensor::zeros(with_batch(batch, desc.input_shape()));
  for (int k = 1; k <= desc.num_layers(); ++k) {
    auto out = model.forward(k, k, cur);
    ASSERT_TRUE(out) << out.error().message;
    const layer_info& l = desc.layer(k);
    EXPECT_EQ(out->main.shape, with_batch(batch, l.output_shape)) << l.name;
    EXPECT_EQ(out->has_skip(), l.has_skip()) << l.name;
    if (l.has_skip()) {
      EXPECT_EQ(out->skip.shape, with_batch(batch, l.skip_shape)) << l.name;
    }
    const int64_t elements = out->main.numel() + (out->has_skip() ? out->skip.numel() : 0);
    EXPECT_EQ(elements, batch * l.output_elements()) << l.name;
    cur = std::move(*out);
  }
}

TEST(LayerDescriptor, OutputShapesMatchForwardOnShippedModel) {
  auto model = vit_model::load(fashion_dir);
  ASSERT_TRUE(model) << model.error().message;
  expect_shapes_match(*model, model_descriptor::vit(model->config()));
}

TEST(LayerDescriptor, OutputShapesMatchForwardOnSyntheticConfigs) {
  for (const vit_config& cfg : {aligned_config(), odd_config()}) {
    auto model = vit_model::synthetic(cfg, 7);
    ASSERT_TRUE(model) << model.error().message;
    expect_shapes_match(*model, model_descriptor::vit(cfg));
  }
}

// The safetensors files hold exactly the model's parameters; each layer's
// count equals the tensors the loader fetches for it, found in the file.
void expect_parameters_match_file(const std::string& dir) {
  auto cfg = read_vit_config(dir + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto weights = read_safetensors(dir + "/model.safetensors");
  ASSERT_TRUE(weights) << weights.error().message;
  const model_descriptor desc = model_descriptor::vit(*cfg);
  int64_t in_file = 0;
  for (const auto& [name, t] : *weights) in_file += t.numel();
  EXPECT_EQ(desc.parameters(1, desc.num_layers()), in_file) << dir;
  for (int k = 1; k <= desc.num_layers(); ++k) {
    int64_t loaded = 0;
    for (const auto& spec : layer_weights(*cfg, k)) {
      auto it = weights->find(spec.name);
      ASSERT_NE(it, weights->end()) << spec.name;
      loaded += it->second.numel();
    }
    EXPECT_EQ(desc.layer(k).parameters(), loaded) << dir << " layer " << k;
  }
}

TEST(LayerDescriptor, ParametersMatchSafetensorsFiles) {
  expect_parameters_match_file(fashion_dir);
  for (const auto& name : ops::testing::reference_configs())
    expect_parameters_match_file(ops::testing::reference_dir(name));
}

TEST(LayerDescriptor, WeightBytesEqualWhatTheModelLoadsForRanges) {
  const vit_config cfg = aligned_config();
  const model_descriptor desc = model_descriptor::vit(cfg);
  const int L = desc.num_layers();
  const std::vector<std::pair<int, int>> ranges = {{1, L}, {1, 1}, {2, 3}, {4, 9}, {L, L}, {5, L}};
  for (dtype dt : {dtype::f32, dtype::bf16, dtype::int8})
    for (auto [first, last] : ranges) {
      if (!check_dtype_supported(dt)) continue; // bf16 on a CPU without it (cpu_support.hpp)
      model_options o;
      o.compute = dt;
      o.first = first;
      o.last = last;
      auto model = vit_model::synthetic(cfg, 3, o);
      ASSERT_TRUE(model) << model.error().message;
      EXPECT_EQ(model->weight_bytes(), desc.weight_bytes(first, last, dt))
          << to_string(dt) << " layers " << first << ".." << last;
    }
}

// With sizes oneDNN pads (the shipped model: 10 labels, 16-wide patches),
// the model holds at least the descriptor's bytes, and the padding of each
// matmul is below one 64 x 64 block row and column per weight matrix.
TEST(LayerDescriptor, WeightBytesBoundPaddedModels) {
  auto model = vit_model::load(fashion_dir);
  ASSERT_TRUE(model) << model.error().message;
  const vit_config& c = model->config();
  const model_descriptor desc = model_descriptor::vit(c);
  const int64_t predicted = desc.weight_bytes(1, desc.num_layers(), dtype::f32);
  const int64_t matrices = 2 + 4 * int64_t{c.num_hidden_layers}; // patch, head, 4 per block
  const int64_t widest = std::max<int64_t>({c.hidden_size, c.intermediate_size, 3 * c.hidden_size,
                                            c.num_channels * c.patch_size * c.patch_size});
  EXPECT_GE(model->weight_bytes(), predicted);
  EXPECT_LE(model->weight_bytes(), predicted + matrices * 2 * 64 * widest * 4);
}

TEST(LayerDescriptor, FlopsAndNamesOfATinyConfig) {
  vit_config c = odd_config(); // T = 26, D = 40, I = 72
  const model_descriptor desc = model_descriptor::vit(c);
  ASSERT_EQ(desc.num_layers(), 8);
  EXPECT_EQ(desc.input_elements(), 3 * 20 * 20);
  const double T = 26, D = 40, I = 72, P = 25, K = 48;
  EXPECT_EQ(desc.layer(1).flops, 2 * T * D * 3 * D + 4 * T * T * D + 2 * P * K * D);
  EXPECT_EQ(desc.layer(5).flops, 2 * T * D * 3 * D + 4 * T * T * D);
  EXPECT_EQ(desc.layer(6).flops, 2 * T * D * D);
  EXPECT_EQ(desc.layer(7).flops, 2 * T * D * I);
  EXPECT_EQ(desc.layer(8).flops, 2 * T * I * D + 2 * D * 7);
  EXPECT_EQ(desc.layer(1).name, "embeddings + block 1 attention (LN + QKV + softmax)");
  EXPECT_EQ(desc.layer(7).name, "block 2 MLP in (LN + fc1 + GELU)");
  EXPECT_EQ(desc.layer(8).name, "block 2 MLP out (fc2 + residual) + final LN + classifier");
  EXPECT_EQ(desc.layer(7).position.block, 1);
  EXPECT_EQ(desc.layer(7).position.part, block_part::mlp_in);
  EXPECT_FALSE(desc.check_range(0, 3));
  EXPECT_FALSE(desc.check_range(3, 9));
  EXPECT_FALSE(desc.check_range(4, 3));
  EXPECT_TRUE(desc.check_range(8, 8));
}

TEST(StageMemory, RefusesAStageAboveTheLimitAndSaysByHowMuch) {
  auto cfg = named_vit_config("vit-large");
  ASSERT_TRUE(cfg);
  const model_descriptor desc = model_descriptor::vit(*cfg);
  const int L = desc.num_layers();
  const int64_t need_mb =
      static_cast<int64_t>(std::ceil(to_mb(desc.weight_bytes(1, L, dtype::f32))));
  auto refused = check_stage_memory(desc, 1, L, dtype::f32, 1000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::infeasible);
  EXPECT_EQ(refused.error().message, "stage layers 1..96 needs " + std::to_string(need_mb) +
                                         " MB of f32 weights, node offers 1000 MB");
  EXPECT_TRUE(check_stage_memory(desc, 1, L, dtype::f32, need_mb));
  EXPECT_FALSE(check_stage_memory(desc, 1, L, dtype::f32, need_mb - 1));
  EXPECT_TRUE(check_stage_memory(desc, 1, L, dtype::bf16, 1000)); // bf16 halves the matmuls
  EXPECT_TRUE(check_stage_memory(desc, 1, L, dtype::f32, 0));     // 0: no limit
  EXPECT_FALSE(check_stage_memory(desc, 1, L + 1, dtype::f32, 0));
}

} // namespace
