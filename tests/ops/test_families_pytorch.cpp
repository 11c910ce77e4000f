// DeiT and BERT on oneDNN against independent PyTorch models built from
// nn.TransformerEncoderLayer (tools/pt_deit.py, tools/pt_bert.py via
// tools/make_family_test_models.py): three configurations per family (the
// distilled and the plain DeiT, BERT with padding, with and without a
// classifier and the "bert." prefix, weights stored as F32, F16, BF16):
// logits, the boundaries after every block's attention and every block, every
// split point, stage models with partial weights, bf16.
#include <gtest/gtest.h>

#include <algorithm>

#include "family_test_util.hpp"
#include "ops/cpu_support.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

constexpr double f32_tolerance = 1e-4;
// As for ViT (test_vit_pytorch.cpp): bf16 rounds every matmul input to 8
// significant bits; the measured error is a few hundredths on these models.
constexpr double bf16_tolerance = 0.15;

// One case: a family's reference model directory.
struct reference {
  std::string name;
  bool text;
  std::string dir() const { return text ? bert_dir(name) : deit_dir(name); }
};

std::vector<reference> all_references() {
  std::vector<reference> r;
  for (const auto& n : deit_configs()) r.push_back({n, false});
  for (const auto& n : bert_configs()) r.push_back({n, true});
  return r;
}

class family_vs_pytorch : public ::testing::TestWithParam<reference> {
protected:
  std::string dir() const { return GetParam().dir(); }
  activation input() const { return reference_input(dir(), GetParam().text); }
  tensor want() const { return load_npy(dir() + "/logits.npy"); }
};

TEST_P(family_vs_pytorch, outputs_match_whole_batch_and_each_sample) {
  auto m = model::load(dir(), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->config().family, GetParam().text ? model_family::bert : model_family::deit);
  const activation src = input();
  auto out = m->forward(1, m->num_layers(), src);
  ASSERT_TRUE(out) << out.error().message;
  const double diff = max_abs_diff(out->main, want());
  EXPECT_LE(diff, f32_tolerance);
  std::printf("[ f32      ] %s: max |ours - pytorch| = %.2e\n", GetParam().name.c_str(), diff);
  EXPECT_FALSE(out->has_mask()) << "the last layer's output carries no mask";
  // Each sample alone, as batch 1 (with its padding).
  for (int64_t i = 0; i < src.main.shape[0]; ++i) {
    activation one;
    one.main = slice_batch(src.main, i, i + 1);
    if (src.has_skip()) one.skip = slice_batch(src.skip, i, i + 1);
    if (src.has_mask()) one.mask = slice_batch(src.mask, i, i + 1);
    auto o = m->forward(1, m->num_layers(), one);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_LE(max_abs_diff(o->main, slice_batch(want(), i, i + 1)), f32_tolerance) << i;
  }
}

TEST_P(family_vs_pytorch, block_boundaries_match) {
  auto m = model::load(dir(), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  int checked = 0;
  for (int layer = 2; layer < m->num_layers(); layer += 2) {
    auto ref = read_npy(dir() + "/boundary_" + std::to_string(layer) + "_main.npy");
    ASSERT_TRUE(ref) << "layer " << layer << ": " << ref.error().message;
    auto out = m->forward(1, layer, input());
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, *ref), f32_tolerance) << "layer " << layer;
    EXPECT_FALSE(out->has_skip()) << "layer " << layer;
    EXPECT_EQ(out->has_mask(), GetParam().text) << "layer " << layer;
    ++checked;
  }
  EXPECT_EQ(checked, m->num_layers() / 2 - 1);
}

// forward(1, k) then forward(k + 1, 4L) on one model, for every k: the
// mid-block boundaries carry skip, BERT's every boundary the mask.
TEST_P(family_vs_pytorch, every_split_point_chains_to_the_same_output) {
  auto m = model::load(dir(), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  const int n = m->num_layers();
  const activation src = input();
  for (int k = 1; k < n; ++k) {
    auto mid = m->forward(1, k, src);
    ASSERT_TRUE(mid) << mid.error().message;
    EXPECT_EQ(mid->has_skip(), k % 4 == 1 || k % 4 == 3) << "k " << k;
    if (GetParam().text) {
      ASSERT_TRUE(mid->has_mask()) << "k " << k;
      EXPECT_EQ(mid->mask.data, src.mask.data) << "k " << k;
    }
    auto out = m->forward(k + 1, n, *mid);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, want()), f32_tolerance) << "split after layer " << k;
  }
}

// Stage models that each load only their layers' tensors, cut inside blocks.
TEST_P(family_vs_pytorch, stage_models_with_partial_weights_chain) {
  auto cfg = read_model_config(dir() + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const int n = cfg->planner_layers();
  for (const std::vector<int>& cut : std::vector<std::vector<int>>{{1}, {3}, {n - 1}, {1, 3}}) {
    activation act = input();
    int first = 1;
    for (size_t s = 0; s <= cut.size(); ++s) {
      const int last = s < cut.size() ? cut[s] : n;
      model_options o = one_thread();
      o.first = first;
      o.last = last;
      auto stage = model::load(dir(), o);
      ASSERT_TRUE(stage) << stage.error().message;
      auto out = stage->forward(first, last, act);
      ASSERT_TRUE(out) << first << ":" << last << ": " << out.error().message;
      act = std::move(*out);
      first = last + 1;
    }
    EXPECT_LE(max_abs_diff(act.main, want()), f32_tolerance) << "first cut " << cut[0];
  }
}

TEST_P(family_vs_pytorch, bf16_is_close) {
  if (!bf16_supported()) GTEST_SKIP() << check_dtype_supported(dtype::bf16).error().message;
  auto m = model::load(dir(), one_thread(dtype::bf16));
  ASSERT_TRUE(m) << m.error().message;
  auto out = m->forward(1, m->num_layers(), input());
  ASSERT_TRUE(out) << out.error().message;
  const double diff = max_abs_diff(out->main, want());
  EXPECT_LE(diff, bf16_tolerance);
  std::printf("[ bf16     ] %s: max |bf16 - pytorch f32| = %.4f\n", GetParam().name.c_str(), diff);
  auto mid = m->forward(1, 3, input());
  ASSERT_TRUE(mid) << mid.error().message;
  auto rest = m->forward(4, m->num_layers(), *mid);
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_LE(max_abs_diff(rest->main, want()), bf16_tolerance);
}

INSTANTIATE_TEST_SUITE_P(configs, family_vs_pytorch, ::testing::ValuesIn(all_references()),
                         [](const auto& info) {
                           return std::string(info.param.text ? "bert_" : "deit_") +
                                  info.param.name;
                         });

} // namespace
