// Synthetic models (seeded weights, no file): the named configurations,
// determinism, stage models seeing the same weights as the whole model,
// batch and thread independence, and ViT-Base shapes on fast kernels.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/cpu_support.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

vit_config small_config() {
  vit_config c;
  c.image_size = 18;
  c.patch_size = 6;
  c.num_channels = 2;
  c.hidden_size = 24;
  c.num_attention_heads = 3;
  c.num_hidden_layers = 3;
  c.intermediate_size = 37;
  c.layer_norm_eps = 1e-6f;
  c.num_labels = 4;
  return c;
}

tensor random_images(const vit_config& c, int64_t batch, uint32_t seed) {
  tensor t = tensor::zeros({batch, c.num_channels, c.image_size, c.image_size});
  uint32_t s = seed;
  for (float& v : t.data) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / 16777216.0f * 2.0f - 1.0f;
  }
  return t;
}

model_options opts(int threads = 1, int first = 1, int last = 0) {
  model_options o;
  o.threads = threads;
  o.first = first;
  o.last = last;
  return o;
}

TEST(named_vit_config, standard_sizes) {
  auto base = named_vit_config("vit-base");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->tokens(), 197);
  EXPECT_EQ(base->planner_layers(), 48);
  EXPECT_EQ(base->num_labels, 1000);
  auto large = named_vit_config("vit-large");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->hidden_size, 1024);
  EXPECT_EQ(large->planner_layers(), 96);
  auto huge = named_vit_config("vit-huge");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->tokens(), 257);
  EXPECT_EQ(huge->hidden_size, 1280);
  EXPECT_EQ(huge->planner_layers(), 128);
  auto bad = named_vit_config("vit-tiny");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("vit-tiny"), std::string::npos);
}

TEST(vit_synthetic, same_seed_same_logits_other_seed_other_logits) {
  const vit_config c = small_config();
  tensor images = random_images(c, 2, 7);
  auto a = vit_model::synthetic(c, 42, opts());
  auto b = vit_model::synthetic(c, 42, opts());
  auto other = vit_model::synthetic(c, 43, opts());
  ASSERT_TRUE(a && b && other);
  auto la = a->classify(images), lb = b->classify(images), lo = other->classify(images);
  ASSERT_TRUE(la && lb && lo);
  EXPECT_EQ(la->data, lb->data);
  EXPECT_GT(max_abs_diff(*la, *lo), 1e-3);
  for (float v : la->data) EXPECT_TRUE(std::isfinite(v));
}

TEST(vit_synthetic, stages_hold_the_same_weights_as_the_whole_model) {
  const vit_config c = small_config();
  tensor images = random_images(c, 2, 3);
  auto whole = vit_model::synthetic(c, 9, opts());
  ASSERT_TRUE(whole);
  auto want = whole->classify(images);
  ASSERT_TRUE(want);
  for (int k : {1, 3, 6, 11}) {
    auto first = vit_model::synthetic(c, 9, opts(1, 1, k));
    auto second = vit_model::synthetic(c, 9, opts(1, k + 1, 12));
    ASSERT_TRUE(first && second);
    activation src;
    src.main = images;
    auto mid = first->forward(1, k, src);
    ASSERT_TRUE(mid) << mid.error().message;
    auto out = second->forward(k + 1, 12, *mid);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, *want), 1e-6) << "split after " << k;
  }
}

TEST(vit_synthetic, batch_rows_are_independent_and_threads_agree) {
  const vit_config c = small_config();
  tensor images = random_images(c, 5, 11);
  auto one = vit_model::synthetic(c, 5, opts(1));
  auto two = vit_model::synthetic(c, 5, opts(2));
  ASSERT_TRUE(one && two);
  auto all = one->classify(images);
  ASSERT_TRUE(all);
  for (int64_t i = 0; i < 5; ++i) {
    auto row = one->classify(slice_batch(images, i, i + 1));
    ASSERT_TRUE(row);
    EXPECT_LE(max_abs_diff(*row, slice_batch(*all, i, i + 1)), 1e-5) << "image " << i;
  }
  auto threaded = two->classify(images);
  ASSERT_TRUE(threaded);
  EXPECT_LE(max_abs_diff(*threaded, *all), 1e-5);
}

// One ViT-Base block (layers 1..4) at real shapes: fast kernels (no reference
// implementation), and bf16 close to f32.
TEST(vit_synthetic, vit_base_block_uses_fast_kernels_and_bf16_is_close) {
  if (!bf16_supported()) GTEST_SKIP() << check_dtype_supported(dtype::bf16).error().message;
  auto c = named_vit_config("vit-base");
  ASSERT_TRUE(c);
  auto f32 = vit_model::synthetic(*c, 1, opts(1, 1, 4));
  ASSERT_TRUE(f32) << f32.error().message;
  auto impls = f32->implementations(1);
  ASSERT_TRUE(impls);
  for (const auto& s : *impls) EXPECT_EQ(s.find("ref"), std::string::npos) << s;
  activation src;
  src.main = random_images(*c, 1, 5);
  auto a = f32->forward(1, 4, src);
  ASSERT_TRUE(a) << a.error().message;
  model_options o = opts(1, 1, 4);
  o.compute = dtype::bf16;
  auto bf16 = vit_model::synthetic(*c, 1, o);
  ASSERT_TRUE(bf16) << bf16.error().message;
  auto b = bf16->forward(1, 4, src);
  ASSERT_TRUE(b) << b.error().message;
  double scale = 0;
  for (float v : a->main.data) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  const double diff = max_abs_diff(b->main, a->main);
  std::printf("[ bf16     ] vit-base block 0: max |bf16 - f32| = %.4f (max |x| = %.3f)\n", diff,
              scale);
  EXPECT_LE(diff, 0.02 * scale);
}

} // namespace
