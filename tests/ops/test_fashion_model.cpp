// The shipped Fashion-MNIST model (examples/models/fashion-vit): the oneDNN
// forward matches PyTorch's logits (tests/data/fashion_ref, written by
// tools/train_fashion_vit.py), and the C++ data path (IDX reader +
// preprocessor_config.json) produces exactly the images PyTorch was given.
#include <gtest/gtest.h>

#include <string>

#include "ops/cpu_support.hpp"
#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

const std::string model_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
const std::string ref_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/fashion_ref";

} // namespace

TEST(FashionModel, MatchesPyTorchLogitsInFp32) {
  tensor images = load_npy(ref_dir + "/images.npy");
  tensor want = load_npy(ref_dir + "/logits.npy");
  ASSERT_EQ(images.shape, (std::vector<int64_t>{64, 1, 28, 28}));
  for (int threads : {1, 2}) {
    model_options opts;
    opts.threads = threads;
    auto model = vit_model::load(model_dir, opts);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    EXPECT_EQ(model->config().labels.size(), 10u);
    auto got = model->classify(images);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_LE(max_abs_diff(*got, want), 1e-4) << threads << " threads";
    // Also in odd batch pieces: results must not depend on the batch size.
    auto part = model->classify(slice_batch(images, 3, 10));
    ASSERT_TRUE(part.has_value()) << part.error().message;
    EXPECT_LE(max_abs_diff(*part, slice_batch(want, 3, 10)), 1e-4);
  }
}

TEST(FashionModel, CppPreprocessingEqualsTrainingPreprocessing) {
  auto prep = read_preprocessing(model_dir);
  ASSERT_TRUE(prep.has_value()) << prep.error().message;
  auto data = read_idx_dataset("/usr/share/datasets/fashion-mnist", "t10k", *prep, 64);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  tensor images = load_npy(ref_dir + "/images.npy");
  // Same float32 arithmetic on both sides: equal to the last bit in practice.
  EXPECT_LE(max_abs_diff(data->images, images), 1e-6);
  tensor labels = load_npy(ref_dir + "/labels.npy");
  ASSERT_EQ(labels.data.size(), 64u);
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ(static_cast<int>(labels.data[i]), data->labels[i]);
}

TEST(FashionModel, Bf16AgreesWithFp32OnMostImages) {
  if (!bf16_supported()) GTEST_SKIP() << check_dtype_supported(dtype::bf16).error().message;
  tensor images = load_npy(ref_dir + "/images.npy");
  tensor want = load_npy(ref_dir + "/logits.npy");
  model_options opts;
  opts.compute = dtype::bf16;
  auto model = vit_model::load(model_dir, opts);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto got = model->classify(images);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  int same = 0;
  for (int64_t r = 0; r < 64; ++r) same += argmax_row(*got, r) == argmax_row(want, r);
  EXPECT_GE(same, 60) << "bf16 top-1 agrees with fp32 on " << same << "/64 images";
  EXPECT_LE(max_abs_diff(*got, want), 1.0); // bf16 keeps ~3 significant digits
}
