// The oneDNN ViT against PyTorch (tools/hf_vit.py via tools/make_test_models.py)
// on five small Hugging Face configurations unlike the shipped model: whole
// forward, every split point of the layer range (skip boundaries included),
// stage models holding only part of the weights, batch 1 and 3, f32 and bf16.
#include <gtest/gtest.h>

#include "ops/cpu_support.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

constexpr double f32_tolerance = 1e-4;
// bf16 keeps 8 significant bits: each matmul input is rounded by up to 2^-9
// relative. On these random models (logits spread 4-8) the measured error is
// a few hundredths; 0.15 leaves room while still catching a wrong layer.
constexpr double bf16_tolerance = 0.15;

class vit_vs_pytorch : public ::testing::TestWithParam<std::string> {
protected:
  std::string dir() const { return reference_dir(GetParam()); }
  model_options options(dtype dt = dtype::f32) const {
    model_options o;
    o.compute = dt;
    o.threads = 1;
    return o;
  }
};

TEST_P(vit_vs_pytorch, logits_match_at_batch_3_and_1) {
  auto model = vit_model::load(dir(), options());
  ASSERT_TRUE(model) << model.error().message;
  tensor images = load_npy(dir() + "/images.npy");
  tensor want = load_npy(dir() + "/logits.npy");
  auto got = model->classify(images);
  ASSERT_TRUE(got) << got.error().message;
  const double diff = max_abs_diff(*got, want);
  EXPECT_LE(diff, f32_tolerance);
  std::printf("[ f32      ] %s: max |ours - pytorch| = %.2e\n", GetParam().c_str(), diff);
  for (int64_t i = 0; i < images.shape[0]; ++i) {
    auto one = model->classify(slice_batch(images, i, i + 1));
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_LE(max_abs_diff(*one, slice_batch(want, i, i + 1)), f32_tolerance) << "image " << i;
  }
}

TEST_P(vit_vs_pytorch, intermediate_boundaries_match) {
  auto model = vit_model::load(dir(), options());
  ASSERT_TRUE(model) << model.error().message;
  activation src;
  src.main = load_npy(dir() + "/images.npy");
  int checked = 0;
  for (int layer = 1; layer < model->num_layers(); ++layer) {
    auto main = read_npy(dir() + "/boundary_" + std::to_string(layer) + "_main.npy");
    if (!main) continue; // only some boundaries are stored
    auto out = model->forward(1, layer, src);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, *main), f32_tolerance) << "layer " << layer;
    auto skip = read_npy(dir() + "/boundary_" + std::to_string(layer) + "_skip.npy");
    EXPECT_EQ(out->has_skip(), skip.has_value()) << "layer " << layer;
    if (skip) {
      EXPECT_LE(max_abs_diff(out->skip, *skip), f32_tolerance) << "layer " << layer;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// forward(1, k) then forward(k + 1, 4L) on one model, for every k.
TEST_P(vit_vs_pytorch, every_split_point_chains_to_the_same_logits) {
  auto model = vit_model::load(dir(), options());
  ASSERT_TRUE(model) << model.error().message;
  activation src;
  src.main = load_npy(dir() + "/images.npy");
  tensor want = load_npy(dir() + "/logits.npy");
  const int n = model->num_layers();
  for (int k = 1; k < n; ++k) {
    auto mid = model->forward(1, k, src);
    ASSERT_TRUE(mid) << mid.error().message;
    EXPECT_EQ(mid->has_skip(), k % 4 == 1 || k % 4 == 3) << "k " << k;
    auto out = model->forward(k + 1, n, *mid);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, want), f32_tolerance) << "split after layer " << k;
  }
}

// Two stage models that each load only their layers' tensors, and a
// three-stage chain through the middle of a block.
TEST_P(vit_vs_pytorch, stage_models_with_partial_weights_chain) {
  activation src;
  src.main = load_npy(dir() + "/images.npy");
  tensor want = load_npy(dir() + "/logits.npy");
  auto cfg = read_vit_config(dir() + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const int n = cfg->planner_layers();
  std::vector<std::vector<int>> cuts = {{1}, {3}, {n - 1}, {1, 3}, {2, n - 1}};
  for (const auto& cut : cuts) {
    activation act = src;
    int first = 1;
    std::string where;
    for (size_t s = 0; s <= cut.size(); ++s) {
      const int last = s < cut.size() ? cut[s] : n;
      if (last < first || last > n) break;
      model_options o = options();
      o.first = first;
      o.last = last;
      auto stage = vit_model::load(dir(), o);
      ASSERT_TRUE(stage) << stage.error().message;
      auto out = stage->forward(first, last, act);
      ASSERT_TRUE(out) << out.error().message;
      act = std::move(*out);
      where += std::to_string(first) + ":" + std::to_string(last) + " ";
      first = last + 1;
    }
    ASSERT_EQ(first, n + 1) << "cut list " << where << " does not cover 1:" << n;
    EXPECT_LE(max_abs_diff(act.main, want), f32_tolerance) << where;
  }
}

TEST_P(vit_vs_pytorch, bf16_is_close_and_agrees_on_the_class) {
  if (!bf16_supported()) GTEST_SKIP() << check_dtype_supported(dtype::bf16).error().message;
  auto model = vit_model::load(dir(), options(dtype::bf16));
  ASSERT_TRUE(model) << model.error().message;
  tensor images = load_npy(dir() + "/images.npy");
  tensor want = load_npy(dir() + "/logits.npy");
  auto got = model->classify(images);
  ASSERT_TRUE(got) << got.error().message;
  const double diff = max_abs_diff(*got, want);
  EXPECT_LE(diff, bf16_tolerance);
  std::printf("[ bf16     ] %s: max |bf16 - pytorch f32| = %.4f\n", GetParam().c_str(), diff);
  for (int64_t i = 0; i < want.shape[0]; ++i) {
    // Where PyTorch's top class leads clearly, bf16 must pick it too.
    std::vector<float> row(want.data.begin() + i * want.shape[1],
                           want.data.begin() + (i + 1) * want.shape[1]);
    std::sort(row.rbegin(), row.rend());
    if (row[0] - row[1] > 2 * bf16_tolerance) {
      EXPECT_EQ(argmax_row(*got, i), argmax_row(want, i)) << "image " << i;
    }
  }
  // Split in the middle of a block, in bf16 too.
  activation src;
  src.main = images;
  auto mid = model->forward(1, 3, src);
  ASSERT_TRUE(mid) << mid.error().message;
  auto out = model->forward(4, model->num_layers(), *mid);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_LE(max_abs_diff(out->main, want), bf16_tolerance);
}

INSTANTIATE_TEST_SUITE_P(configs, vit_vs_pytorch, ::testing::ValuesIn(reference_configs()),
                         [](const auto& info) { return info.param; });

} // namespace
