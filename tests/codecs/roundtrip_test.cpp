// Round trips through encode/decode: every bitwidth 1..16 x every clipping
// method x both granularities, then random shapes and distributions. Checks:
// exact frame and payload size, |x - decoded| <= scale/2 inside the clip
// range, values outside it land on the bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <random>

#include "codec_test_util.hpp"
#include "codecs/codec.hpp"
#include "codecs/frame.hpp"
#include "codecs/kernels.hpp"

using namespace edgepipe::codecs;
using codec_test::dist;

namespace {

const clip_method all_methods[] = {clip_method::none,       clip_method::aciq,
                                   clip_method::ds_aciq,    clip_method::mse,
                                   clip_method::aciq_gauss, clip_method::ds_aciq_laplace};

size_t numel_of(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(d);
  return n;
}

// Encodes, decodes and checks every element against its group's range.
void check_round_trip(const std::vector<float>& x, const std::vector<int64_t>& shape,
                      quant_params p) {
  SCOPED_TRACE("bits=" + std::to_string(p.bits) + " clip=" + to_string(p.clip) +
               " gran=" + to_string(p.gran));
  auto frame = encode(x.data(), shape, p);
  ASSERT_TRUE(frame) << frame.error().message;
  const size_t n = x.size();
  const size_t groups = p.bits == 0 ? 0 : p.gran == granularity::sample ? size_t(shape[0]) : 1;
  const size_t payload = p.bits == 0 ? 4 * n : (n * size_t(p.bits) + 7) / 8;
  ASSERT_EQ(frame->size(), 12 + 8 * shape.size() + 8 * groups + payload);
  ASSERT_EQ(frame->size(), frame_size(shape, p));

  auto back = decode(frame->data(), frame->size());
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->shape, shape);
  ASSERT_EQ(back->data.size(), n);
  ASSERT_EQ(back->params.bits, p.bits);
  if (p.bits == 0) {
    ASSERT_EQ(0, std::memcmp(back->data.data(), x.data(), 4 * n)) << "raw must be lossless";
    return;
  }
  ASSERT_EQ(back->params.clip, p.clip);
  ASSERT_EQ(back->params.gran, p.gran);
  auto pairs = codec_test::frame_pairs(*frame, groups);
  const size_t per_group = groups == 0 ? 0 : n / groups;
  const float max_code = float((1u << p.bits) - 1);
  for (size_t i = 0; i < n; ++i) {
    const auto& g = pairs[i / per_group];
    float lo = g.offset, hi = g.offset + max_code * g.scale;
    ASSERT_GE(g.scale, 0.0f);
    float v = x[i], y = back->data[i];
    float tol = 0.01f * g.scale + 1e-6f * std::max({std::fabs(lo), std::fabs(hi), std::fabs(v)});
    if (v < lo) {
      ASSERT_EQ(y, lo) << "below the range must decode to the lower bound, i=" << i;
    } else if (v > hi) {
      ASSERT_NEAR(y, hi, tol) << "above the range must decode to the upper bound, i=" << i;
    } else {
      ASSERT_LE(std::fabs(y - v), 0.5f * g.scale + tol) << "i=" << i << " v=" << v;
    }
    ASSERT_GE(y, lo - tol);
    ASSERT_LE(y, hi + tol);
  }
}

} // namespace

TEST(RoundTrip, EveryBitwidthEveryMethodBothGranularities) {
  const std::vector<int64_t> shape = {4, 37, 50};
  auto x = codec_test::samples(dist::laplace, numel_of(shape), 11);
  x[17] = 60.0f; // outliers, so the clipping methods really clip
  x[3000] = -80.0f;
  for (int bits = 1; bits <= 16; ++bits)
    for (clip_method m : all_methods)
      for (granularity g : {granularity::tensor, granularity::sample})
        check_round_trip(x, shape, {bits, m, g});
  check_round_trip(x, shape, {0, clip_method::none, granularity::tensor});
}

TEST(RoundTrip, EverySimdBuildGivesTheSameFrame) {
  const std::vector<int64_t> shape = {3, 1001};
  auto x = codec_test::samples(dist::heavy_tail, numel_of(shape), 5);
  std::map<int, std::vector<uint8_t>> portable_frames; // by bits
  for (kernel_isa isa : {kernel_isa::portable, kernel_isa::avx2, kernel_isa::avx512}) {
    if (!force_kernel_isa(isa)) continue;
    SCOPED_TRACE(to_string(isa));
    for (int bits : {1, 3, 8, 11, 16}) {
      check_round_trip(x, shape, {bits, clip_method::ds_aciq, granularity::sample});
      auto f = encode(x.data(), shape, {bits, clip_method::aciq, granularity::sample});
      ASSERT_TRUE(f);
      if (isa == kernel_isa::portable)
        portable_frames[bits] = *f;
      else
        EXPECT_EQ(*f, portable_frames[bits]) << "bits=" << bits;
    }
  }
  // Back to the best build for the other tests.
  if (!force_kernel_isa(kernel_isa::avx512)) force_kernel_isa(kernel_isa::avx2);
}

TEST(RoundTrip, RandomShapesAndDistributions) {
  std::mt19937_64 rng(2024);
  const dist dists[] = {dist::laplace, dist::gaussian, dist::heavy_tail, dist::constant,
                        dist::uniform};
  for (int trial = 0; trial < 150; ++trial) {
    int rank = int(rng() % 5);
    std::vector<int64_t> shape(static_cast<size_t>(rank), 0);
    for (auto& d : shape) d = int64_t(rng() % 9) + (rng() % 4 == 0 ? 0 : 1);
    if (rank > 0 && rng() % 3 == 0) shape[size_t(rank - 1)] = int64_t(rng() % 300);
    dist d = dists[rng() % 5];
    auto x = codec_test::samples(d, numel_of(shape), rng(), float(rng() % 200) - 100.0f,
                                 float(rng() % 1000) / 100.0f + 0.01f);
    quant_params p;
    p.bits = int(rng() % 17);
    p.clip = all_methods[rng() % 6];
    p.gran = rank > 0 && rng() % 2 ? granularity::sample : granularity::tensor;
    SCOPED_TRACE(std::string("trial ") + std::to_string(trial) + " " + codec_test::name(d));
    check_round_trip(x, shape, p);
  }
}

TEST(RoundTrip, DegenerateInputs) {
  // Empty tensors, in every layout.
  for (auto shape : std::vector<std::vector<int64_t>>{{0}, {0, 5}, {3, 0}, {2, 0, 7}})
    for (int bits : {0, 1, 5, 16})
      for (granularity g : {granularity::tensor, granularity::sample})
        check_round_trip({}, shape, {bits, clip_method::ds_aciq, g});
  // One element: decodes exactly (the range is [x, x]).
  for (int bits = 0; bits <= 16; ++bits)
    for (clip_method m : all_methods) {
      std::vector<float> one = {-3.25f};
      auto f = encode(one.data(), {1}, {bits, m, granularity::tensor});
      ASSERT_TRUE(f);
      auto d = decode(f->data(), f->size());
      ASSERT_TRUE(d);
      EXPECT_EQ(d->data[0], -3.25f);
    }
  // A scalar (rank 0) is one element; per-sample needs a first dimension.
  float s = 7.5f;
  auto scalar = encode(&s, {}, {4, clip_method::none, granularity::tensor});
  ASSERT_TRUE(scalar);
  EXPECT_EQ(decode(scalar->data(), scalar->size())->data.at(0), 7.5f);
  EXPECT_FALSE(encode(&s, {}, {4, clip_method::none, granularity::sample}));
  // All equal: decoded exactly, scale 0.
  std::vector<float> same(1000, 0.1f);
  for (clip_method m : all_methods) {
    auto f = encode(same.data(), {10, 100}, {3, m, granularity::tensor});
    ASSERT_TRUE(f);
    auto d = decode(f->data(), f->size());
    ASSERT_TRUE(d);
    for (float v : d->data) ASSERT_EQ(v, 0.1f);
  }
}

// Found by fuzz_codecs_decode: a range so narrow that its step is a
// subnormal float has no finite inverse; (v - lo) * inf was NaN for v = lo,
// and its cast to a code undefined. The step is raised to the smallest
// normal float, so codes stay in range and values come back within it.
TEST(RoundTrip, ASubnormalStepStillQuantizes) {
  const float tiny = 1e-42f; // hi - lo: the step at 8 bits is ~4e-45, subnormal
  std::vector<float> x = {0.0f, tiny, tiny / 2, 0.0f, tiny};
  for (int bits : {1, 4, 8, 16})
    for (clip_method m : all_methods) {
      SCOPED_TRACE(std::to_string(bits) + " bits, " + to_string(m));
      auto f = encode(x.data(), {5}, {bits, m, granularity::tensor});
      ASSERT_TRUE(f) << f.error().message;
      auto d = decode(f->data(), f->size());
      ASSERT_TRUE(d);
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_TRUE(std::isfinite(d->data[i]));
        EXPECT_NEAR(d->data[i], x[i], std::numeric_limits<float>::min()) << i;
        // lo itself is code 0.
        if (m == clip_method::none && x[i] == 0.0f) {
          EXPECT_EQ(d->data[i], 0.0f) << i;
        }
      }
      // The step on the wire (the first group's, after the header and the
      // one dimension) is 0 or a normal float, whose inverse is finite.
      float step = 0;
      std::memcpy(&step, f->data() + frame_fixed_header + 8, sizeof step);
      EXPECT_TRUE(step == 0.0f || step >= std::numeric_limits<float>::min()) << step;
    }
}

TEST(RoundTrip, NonFiniteValuesAreRejectedWhenQuantizing) {
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> x(100, 1.0f);
    x[42] = bad;
    for (int bits = 1; bits <= 16; ++bits)
      for (clip_method m : all_methods) {
        auto f = encode(x.data(), {100}, {bits, m, granularity::tensor});
        ASSERT_FALSE(f);
        EXPECT_NE(f.error().message.find("NaN or Inf"), std::string::npos);
      }
    // Raw float32 (bits 0) carries them unchanged.
    auto raw = encode(x.data(), {100}, {0, clip_method::none, granularity::tensor});
    ASSERT_TRUE(raw);
    auto d = decode(raw->data(), raw->size());
    ASSERT_TRUE(d);
    EXPECT_EQ(0, std::memcmp(d->data.data(), x.data(), 400));
  }
}

TEST(RoundTrip, BadParametersAreRejected) {
  std::vector<float> x(8, 1.0f);
  EXPECT_FALSE(encode(x.data(), {8}, {17, clip_method::none, granularity::tensor}));
  EXPECT_FALSE(encode(x.data(), {8}, {-1, clip_method::none, granularity::tensor}));
  EXPECT_FALSE(encode(x.data(), {-8}, {4, clip_method::none, granularity::tensor}));
  EXPECT_FALSE(
      encode(x.data(), std::vector<int64_t>(9, 1), {4, clip_method::none, granularity::tensor}));
  EXPECT_FALSE(encode(nullptr, {8}, {4, clip_method::none, granularity::tensor}));
  const quant_params four{4, clip_method::none, granularity::tensor};
  EXPECT_FALSE(encode(x, {9}, four)) << "size/shape mismatch";
  EXPECT_FALSE(encode(x, {2, 3}, four)) << "size/shape mismatch";
  EXPECT_TRUE(encode(x, {2, 4}, four));
}

TEST(RoundTrip, NamesParse) {
  for (clip_method m : all_methods) EXPECT_EQ(*parse_clip_method(to_string(m)), m);
  EXPECT_FALSE(parse_clip_method("ACIQ"));
  EXPECT_EQ(*parse_granularity("sample"), granularity::sample);
  EXPECT_EQ(*parse_granularity("tensor"), granularity::tensor);
  EXPECT_FALSE(parse_granularity("channel"));
}
