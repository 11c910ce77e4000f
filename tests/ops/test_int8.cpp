// The int8 dtype: the arithmetic of one quantized matmul against a plain loop,
// stage splits that give the same logits as the whole model, the shipped
// calibration (reproducible from the training images) and the accuracy of
// the shipped Fashion-MNIST model on the full test set against fp32.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "ops/cpu_support.hpp"
#include "ops/idx.hpp"
#include "ops/int8_calibrate.hpp"
#include "ops/int8_weights.hpp"
#include "ops/preprocessing.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

const std::string model_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
const std::string data_dir = "/usr/share/datasets/fashion-mnist";

double accuracy(vit_model& model, const labeled_images& data) {
  int64_t correct = 0, total = data.images.shape[0];
  for (int64_t i = 0; i < total; i += 100) {
    const int64_t end = std::min(total, i + 100);
    auto logits = model.classify(slice_batch(data.images, i, end));
    if (!logits) {
      ADD_FAILURE() << logits.error().message;
      return 0;
    }
    for (int64_t r = 0; r < end - i; ++r) correct += argmax_row(*logits, r) == data.labels[i + r];
  }
  return double(correct) / double(total);
}

vit_config small_config() {
  vit_config c;
  c.image_size = 16;
  c.patch_size = 4;
  c.num_channels = 3;
  c.hidden_size = 48;
  c.num_attention_heads = 3;
  c.num_hidden_layers = 3;
  c.intermediate_size = 96;
  c.num_labels = 7;
  c.layer_norm_eps = 1e-6f;
  return c;
}

} // namespace

// quantize_linear + oneDNN's int8 matmul compute exactly
// output_scale[n] * (sum_k x_q[k] w_q[k][n] + bias_q[n]): redone here with
// integers from the same quantized weights read back through a plain reorder.
TEST(Int8Linear, MatmulEqualsIntegerArithmetic) {
  const int64_t m = 5, k = 40, n = 24;
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0, 0.5f);
  std::vector<float> w(n * k), b(n), x(m * k);
  for (float& v : w) v = g(rng);
  for (float& v : b) v = g(rng);
  for (float& v : x) v = g(rng);
  const float step = 2.0f / 127;
  dnnl_context ctx;
  dnnl::memory::desc src_md({m, k}, dnnl_dt::s8, dnnl_tag::ab),
      dst_md({m, n}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::memory::desc any({k, n}, dnnl_dt::s8, dnnl_tag::any),
      bias_md({1, n}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::primitive_attr attr;
  attr.set_output_scales(2, std::vector<float>(n, 1.0f));
  auto layout = make_matmul(ctx, src_md, any, bias_md, dst_md, attr).weights_desc();
  int8_linear q = quantize_linear(ctx, w.data(), b.data(), k, n, step, layout);
  ASSERT_EQ(q.output_scales.size(), size_t(n));

  // The quantized weights as plain [k, n] s8 (the reorder drops the compensation).
  dnnl::memory plain({{k, n}, dnnl_dt::s8, dnnl_tag::ab}, ctx.eng);
  dnnl::memory w_only(layout, ctx.eng, q.weight.get_data_handle());
  reorder_now(ctx, w_only, plain);
  const auto* wq = static_cast<const int8_t*>(plain.get_data_handle());
  // Per output channel the largest weight maps to +-127, or to +-63 on a CPU
  // whose int8 products would saturate (ops/cpu_support.hpp).
  const float top = static_cast<float>(int8_weight_max());
  for (int64_t j = 0; j < n; ++j) {
    float wmax = 0, qmax = 0;
    for (int64_t i = 0; i < k; ++i) {
      wmax = std::max(wmax, std::fabs(w[j * k + i]));
      qmax = std::max(qmax, std::fabs(float(wq[i * n + j])));
    }
    EXPECT_EQ(qmax, top) << "channel " << j;
    EXPECT_NEAR(q.output_scales[j], step * wmax / top, 1e-7 * wmax);
  }

  dnnl::memory src(src_md, ctx.eng), dst(dst_md, ctx.eng);
  auto* xq = static_cast<int8_t*>(src.get_data_handle());
  for (int64_t i = 0; i < m * k; ++i)
    xq[i] = static_cast<int8_t>(std::clamp(std::nearbyint(x[i] / step), -127.0f, 127.0f));
  dnnl::primitive_attr scaled;
  scaled.set_output_scales(2, q.output_scales);
  dnnl::matmul mm(make_matmul(ctx, src_md, layout, bias_md, dst_md, scaled));
  mm.execute(ctx.strm, {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_WEIGHTS, q.weight},
                        {DNNL_ARG_BIAS, q.bias},
                        {DNNL_ARG_DST, dst}});
  ctx.strm.wait();
  const auto* got = static_cast<const float*>(dst.get_data_handle());
  const auto* bq = static_cast<const float*>(q.bias.get_data_handle());
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += int32_t(xq[r * k + i]) * int32_t(wq[i * n + j]);
      const double want = double(q.output_scales[j]) * (double(acc) + bq[j]);
      EXPECT_NEAR(got[r * n + j], want, 1e-5 * (1 + std::fabs(want))) << r << "," << j;
      // And it approximates the real product (the reason for all this).
      double real = b[j];
      for (int64_t i = 0; i < k; ++i) real += double(x[r * k + i]) * w[j * k + i];
      EXPECT_NEAR(got[r * n + j], real, 0.15) << r << "," << j;
    }
}

// Cutting the int8 model at any boundary (inside a block too, where the fc1
// output crosses as s8 dequantized to f32) gives the same logits as one range.
TEST(Int8Model, StageSplitsGiveTheWholeModelsLogits) {
  const vit_config cfg = small_config();
  model_options opts;
  opts.compute = dtype::int8;
  auto whole = vit_model::synthetic(cfg, 3, opts);
  ASSERT_TRUE(whole.has_value()) << whole.error().message;
  tensor images = synthetic_images(cfg, 3, 11);
  auto want = whole->classify(images);
  ASSERT_TRUE(want.has_value()) << want.error().message;
  const int layers = cfg.planner_layers();
  for (int cut = 1; cut < layers; ++cut) {
    model_options a = opts, b = opts;
    a.last = cut;
    b.first = cut + 1;
    // Same calibration for both stages, as a topology's stages read one file.
    a.calibration = b.calibration = std::make_shared<int8_calibration>([&] {
      model_options f = opts;
      f.compute = dtype::f32;
      auto ref = vit_model::synthetic(cfg, 3, f);
      return *calibrate_int8(*ref, synthetic_images(cfg, 2, 3), 2, "synthetic");
    }());
    auto s1 = vit_model::synthetic(cfg, 3, a);
    auto s2 = vit_model::synthetic(cfg, 3, b);
    ASSERT_TRUE(s1.has_value() && s2.has_value());
    activation in;
    in.main = images;
    auto mid = s1->forward(1, cut, in);
    ASSERT_TRUE(mid.has_value()) << mid.error().message;
    auto out = s2->forward(cut + 1, layers, *mid);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_LE(max_abs_diff(out->main, *want), 1e-5) << "cut after layer " << cut;
  }
}

// The int8 logits stay near the f32 ones of the same synthetic weights.
TEST(Int8Model, CloseToF32OnSyntheticWeights) {
  const vit_config cfg = small_config();
  model_options f, q;
  q.compute = dtype::int8;
  auto ref = vit_model::synthetic(cfg, 5, f);
  auto qm = vit_model::synthetic(cfg, 5, q);
  ASSERT_TRUE(ref.has_value() && qm.has_value());
  tensor images = synthetic_images(cfg, 4, 99); // not the calibration images
  auto a = ref->classify(images);
  auto b = qm->classify(images);
  ASSERT_TRUE(a.has_value() && b.has_value());
  double spread = 0;
  for (float v : a->data) spread = std::max(spread, double(std::fabs(v)));
  ASSERT_GT(spread, 0.1);
  // 8-bit steps on four matmuls per block: a few percent of the logits' size.
  EXPECT_LE(max_abs_diff(*a, *b), 0.05 * spread);
}

// DeiT (distillation token, stacked heads) runs the same pre-LN int8 blocks.
TEST(Int8Model, DistilledDeitCloseToF32OnSyntheticWeights) {
  vit_config cfg = small_config();
  cfg.family = model_family::deit;
  cfg.distilled = true;
  model_options f, q;
  q.compute = dtype::int8;
  auto ref = vit_model::synthetic(cfg, 6, f);
  auto qm = vit_model::synthetic(cfg, 6, q);
  ASSERT_TRUE(ref.has_value()) << ref.error().message;
  ASSERT_TRUE(qm.has_value()) << qm.error().message;
  tensor images = synthetic_images(cfg, 4, 98);
  auto a = ref->classify(images);
  auto b = qm->classify(images);
  ASSERT_TRUE(a.has_value() && b.has_value());
  double spread = 0;
  for (float v : a->data) spread = std::max(spread, double(std::fabs(v)));
  ASSERT_GT(spread, 0.1);
  EXPECT_LE(max_abs_diff(*a, *b), 0.05 * spread);
}

// BERT's post-LN blocks have no int8 path: asking for one is an error, not
// an f32 model in disguise, with or without a calibration.
TEST(Int8Model, BertRefusesInt8) {
  auto cfg = named_model_config("bert-base");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  cfg->num_hidden_layers = 1;
  model_options q;
  q.compute = dtype::int8;
  auto m = model::synthetic(*cfg, 1, q);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("int8 is implemented for ViT/DeiT blocks"), std::string::npos)
      << m.error().message;
  int8_calibration c;
  c.clip.resize(1);
  q.calibration = std::make_shared<const int8_calibration>(c);
  auto with = model::synthetic(*cfg, 1, q);
  ASSERT_FALSE(with.has_value());
  EXPECT_NE(with.error().message.find("int8 is implemented for ViT/DeiT blocks"), std::string::npos)
      << with.error().message;
}

TEST(Int8Model, MissingOrBadCalibrationIsAnErrorNamingTheFile) {
  model_options q;
  q.compute = dtype::int8;
  // A model directory without int8_calibration.json.
  auto m = vit_model::load(reference_dir("gray30_p5_h5"), q);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("int8_calibration.json"), std::string::npos)
      << m.error().message;
  const std::string bad = ::testing::TempDir() + "/bad_calibration.json";
  std::ofstream(bad) << R"({"version": 1, "blocks": [{"qkv_in": {"clip": 1}, "out_in": {"clip": 1},
    "fc1_in": {"clip": -2}, "fc2_in": {"clip": 1}}]})";
  auto c = read_int8_calibration(bad);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("blocks[0].fc1_in.clip"), std::string::npos)
      << c.error().message;
  std::remove(bad.c_str());
}

// The shipped int8_calibration.json is what `edgepipe calibrate` makes from
// the first 512 TRAINING images: a run can be reproduced from the data.
TEST(Int8Fashion, ShippedCalibrationComesFromTheTrainingImages) {
  auto shipped = read_int8_calibration(int8_calibration_path(model_dir));
  ASSERT_TRUE(shipped.has_value()) << shipped.error().message;
  EXPECT_EQ(shipped->source, "train[0:512]");
  auto prep = read_preprocessing(model_dir);
  ASSERT_TRUE(prep.has_value());
  auto data = read_idx_dataset(data_dir, "train", *prep, 512);
  if (!data) GTEST_SKIP() << "no Fashion-MNIST: " << data.error().message;
  auto model = vit_model::load(model_dir);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto again = calibrate_int8(*model, data->images, 16, "train[0:512]", shipped->method,
                              shipped->percentile);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  ASSERT_EQ(again->clip.size(), shipped->clip.size());
  for (size_t b = 0; b < again->clip.size(); ++b)
    for (int s = 0; s < int8_sites; ++s)
      EXPECT_NEAR(again->clip[b][s], shipped->clip[b][s], 1e-5 * shipped->clip[b][s])
          << "block " << b << " " << to_string(static_cast<int8_site>(s));
}

// The acceptance point: int8 within 0.5 points of fp32 on the 10k test set.
TEST(Int8Fashion, TestAccuracyWithinHalfAPointOfFp32) {
  auto prep = read_preprocessing(model_dir);
  ASSERT_TRUE(prep.has_value());
  auto data = read_idx_dataset(data_dir, "t10k", *prep);
  if (!data) GTEST_SKIP() << "no Fashion-MNIST: " << data.error().message;
  ASSERT_EQ(data->images.shape[0], 10000);
  model_options q;
  q.compute = dtype::int8;
  auto f32 = vit_model::load(model_dir);
  auto int8 = vit_model::load(model_dir, q);
  ASSERT_TRUE(f32.has_value()) << f32.error().message;
  ASSERT_TRUE(int8.has_value()) << int8.error().message;
  const double a32 = accuracy(*f32, *data), a8 = accuracy(*int8, *data);
  EXPECT_NEAR(a32, 0.8866, 1e-4); // the README's fp32 number
  EXPECT_LE(std::fabs(a8 - a32), 0.005) << "int8 " << a8 << " vs fp32 " << a32;
  std::printf("fashion-vit test accuracy: fp32 %.4f, int8 %.4f\n", a32, a8);
}
