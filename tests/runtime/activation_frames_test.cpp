// The one activation <-> frames pair: main and skip follow the link's bits,
// the mask never loses a bit, the size function matches what is encoded, and
// a damaged part is named in the error.
#include <gtest/gtest.h>

#include <random>

#include "runtime/activation_frames.hpp"

using namespace edgepipe;
using namespace edgepipe::runtime;

namespace {
ops::tensor random_tensor(std::vector<int64_t> shape, uint64_t seed) {
  auto t = ops::tensor::zeros(std::move(shape));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  for (float& x : t.data) x = normal(rng);
  return t;
}
} // namespace

TEST(ActivationFrames, RawLinksAreLossless) {
  ops::activation a;
  a.main = random_tensor({2, 5, 8}, 1);
  a.skip = random_tensor({2, 5, 8}, 2);
  auto f = encode_activation(a, codecs::quant_params{});
  ASSERT_TRUE(f) << f.error().message;
  auto back = decode_activation(*f);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->main.shape, a.main.shape);
  EXPECT_EQ(back->main.data, a.main.data);
  EXPECT_EQ(back->skip.data, a.skip.data);
  EXPECT_TRUE(back->mask.empty());
}

TEST(ActivationFrames, QuantizesMainAndSkipButNeverTheMask) {
  ops::activation a;
  a.main = random_tensor({2, 4, 16}, 3);
  a.skip = random_tensor({2, 4, 16}, 4);
  a.mask = ops::tensor::zeros({2, 4});
  a.mask.data = {1, 1, 1, 0, 1, 1, 0, 0};
  codecs::quant_params q{2, codecs::clip_method::none, codecs::granularity::tensor};
  auto f = encode_activation(a, q);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->bytes(), encoded_bytes(a.main.shape, a.skip.shape, a.mask.shape, q));
  auto back = decode_activation(*f);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->mask.data, a.mask.data);
  // Each quantized part equals what the codec alone gives for it.
  auto main_alone = codecs::encode(a.main.data, a.main.shape, q);
  ASSERT_TRUE(main_alone);
  auto main_decoded = codecs::decode(main_alone->data(), main_alone->size());
  ASSERT_TRUE(main_decoded);
  EXPECT_EQ(back->main.data, main_decoded->data);
  EXPECT_NE(back->skip.data, a.skip.data); // 2 bits lose something
}

TEST(ActivationFrames, ADamagedPartIsNamed) {
  ops::activation a;
  a.main = random_tensor({1, 3}, 5);
  a.skip = random_tensor({1, 3}, 6);
  auto f = encode_activation(a, codecs::quant_params{});
  ASSERT_TRUE(f);
  f->skip.resize(f->skip.size() - 1);
  auto back = decode_activation(*f);
  ASSERT_FALSE(back);
  EXPECT_NE(back.error().message.find("skip frame"), std::string::npos) << back.error().message;
  activation_frames empty;
  auto none = decode_activation(empty);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("main frame"), std::string::npos);
}
