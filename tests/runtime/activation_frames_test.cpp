// The one activation <-> frames pair: main and skip follow the link's bits,
// the mask never loses a bit, the size function matches what is encoded, and
// a damaged part is named in the error.
#include <gtest/gtest.h>

#include <random>

#include "codecs/frame.hpp"
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

namespace {
ops::s8_tensor s8_codes(std::vector<int64_t> shape, float step) {
  ops::s8_tensor t;
  t.shape = std::move(shape);
  t.step = step;
  t.data.resize(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = int8_t(int(i * 37 % 256) - 128);
  return t;
}
} // namespace

// An s8 main (an int8 stage ending after 4k+1 or 4k+3) crosses as its codes
// at 8 bits, with its step: decoded codes are the sent codes, and the frame
// sizes encoded_bytes predicts are exact for both granularities.
TEST(ActivationFrames, AnS8MainCrossesAsItsCodesAt8Bits) {
  ops::activation a;
  a.main_s8 = s8_codes({3, 5, 16}, 0.0371f);
  a.skip = random_tensor({3, 5, 8}, 7);
  for (auto gran : {codecs::granularity::tensor, codecs::granularity::sample}) {
    codecs::quant_params q{8, codecs::clip_method::ds_aciq, gran};
    auto f = encode_activation(a, q);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->main[5], codecs::element_s8);
    EXPECT_EQ(f->bytes(), encoded_bytes(a.main_shape(), a.skip.shape, {}, q, true));
    if (gran == codecs::granularity::sample) { // one step, not one pair per sample
      EXPECT_EQ(f->bytes() + 2 * 8, encoded_bytes(a.main_shape(), a.skip.shape, {}, q, false));
    }
    auto back = decode_activation(*f);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_TRUE(back->has_main_s8());
    EXPECT_TRUE(back->main.empty());
    EXPECT_EQ(back->main_s8.shape, a.main_s8.shape);
    EXPECT_EQ(back->main_s8.data, a.main_s8.data);
    EXPECT_EQ(back->main_s8.step, a.main_s8.step);
    // The skip took the codec's 8-bit path, as on any link.
    auto skip_alone = codecs::encode(a.skip.data, a.skip.shape, q);
    ASSERT_TRUE(skip_alone);
    EXPECT_EQ(f->skip, *skip_alone);
  }
}

// At other bits (a link below 8, or the bits changed while the stage
// computed) the codes go through the codec as their f32 values, code * step.
TEST(ActivationFrames, AnS8MainAtOtherBitsIsItsF32ValuesThroughTheCodec) {
  ops::activation a;
  a.main_s8 = s8_codes({2, 4, 16}, 0.25f);
  ops::tensor values = a.main_s8.dequantized();
  EXPECT_EQ(values.data[1], float(a.main_s8.data[1]) * 0.25f);
  for (int bits : {0, 4, 16}) {
    codecs::quant_params q{bits, codecs::clip_method::aciq, codecs::granularity::tensor};
    auto f = encode_activation(a, q);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->main[5], codecs::element_float32);
    auto want = codecs::encode(values.data, values.shape, q);
    ASSERT_TRUE(want);
    EXPECT_EQ(f->main, *want) << bits;
    EXPECT_EQ(f->bytes(), encoded_bytes(a.main_shape(), {}, {}, q, true));
    auto back = decode_activation(*f);
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->has_main_s8());
    if (bits == 0) {
      EXPECT_EQ(back->main.data, values.data);
    }
  }
  // Both forms at once is a caller's mistake.
  a.main = values;
  EXPECT_FALSE(encode_activation(a, codecs::quant_params{8}));
}

// Only main has an s8 form: an s8 skip (or mask) frame is refused by name.
TEST(ActivationFrames, OnlyMainMayBeS8) {
  ops::activation a;
  a.main_s8 = s8_codes({1, 2, 8}, 0.5f);
  auto f = encode_activation(a, codecs::quant_params{8});
  ASSERT_TRUE(f);
  f->skip = f->main;
  auto back = decode_activation(*f);
  ASSERT_FALSE(back);
  EXPECT_NE(back.error().message.find("skip frame field 'element type': 1 (s8)"), std::string::npos)
      << back.error().message;
}
