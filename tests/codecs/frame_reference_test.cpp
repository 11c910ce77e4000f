// Frames written by a reference encoder in this file, from the layout in the
// README alone (its own byte writer, its own bit-by-bit packer, its own
// rounding), must decode to offset + code * scale exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "codecs/codec.hpp"

using namespace edgepipe::codecs;

namespace {

struct reference_frame {
  std::vector<uint8_t> bytes;
  std::vector<float> expected; // what decode must return

  void u8(unsigned v) { bytes.push_back(uint8_t(v)); }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(unsigned(v >> (8 * i)) & 0xFF);
  }
  void f32(float f) {
    uint32_t v;
    std::memcpy(&v, &f, 4);
    for (int i = 0; i < 4; ++i) u8((v >> (8 * i)) & 0xFF);
  }
};

// groups: scale/offset per group; codes: one per element, group-major.
reference_frame make_frame(int bits, int clip, int gran, const std::vector<int64_t>& shape,
                           const std::vector<std::pair<float, float>>& groups,
                           const std::vector<uint32_t>& codes) {
  reference_frame f;
  for (char c : {'E', 'P', 'Q', 'F'}) f.u8(uint8_t(c));
  f.u8(1);              // version
  f.u8(0);              // float32
  f.u8(unsigned(bits)); // bits
  f.u8(unsigned(clip)); // clip method
  f.u8(unsigned(gran)); // granularity
  f.u8(unsigned(shape.size()));
  f.u8(0), f.u8(0); // reserved
  for (int64_t d : shape) f.u64(uint64_t(d));
  for (auto [scale, offset] : groups) f.f32(scale), f.f32(offset);
  size_t per_group = groups.empty() ? 0 : codes.size() / groups.size();
  size_t start = f.bytes.size();
  f.bytes.resize(start + (codes.size() * size_t(bits) + 7) / 8, 0);
  for (size_t k = 0; k < codes.size(); ++k) {
    for (int i = 0; i < bits; ++i) {
      size_t bit = k * size_t(bits) + size_t(i);
      if (codes[k] >> i & 1u) f.bytes[start + bit / 8] |= uint8_t(1u << (bit % 8));
    }
    auto [scale, offset] = groups[k / per_group];
    float scaled = float(codes[k]) * scale;
    f.expected.push_back(offset + scaled);
  }
  return f;
}

} // namespace

TEST(FrameReference, QuantizedFramesDecodeExactly) {
  std::mt19937 rng(99);
  for (int bits = 1; bits <= 16; ++bits) {
    for (int gran : {0, 1}) {
      std::vector<int64_t> shape = {3, 5, 7};
      size_t n = 105, groups = gran ? 3 : 1;
      std::vector<std::pair<float, float>> g;
      for (size_t i = 0; i < groups; ++i) g.push_back({0.01f * float(i + 1), -1.0f + float(i)});
      std::vector<uint32_t> codes(n);
      for (auto& c : codes) c = rng() & ((1u << bits) - 1u);
      codes[0] = (1u << bits) - 1u;
      reference_frame f = make_frame(bits, bits % 6, gran, shape, g, codes);
      auto d = decode(f.bytes.data(), f.bytes.size());
      ASSERT_TRUE(d) << d.error().message;
      EXPECT_EQ(d->shape, shape);
      EXPECT_EQ(d->params.bits, bits);
      EXPECT_EQ(int(d->params.clip), bits % 6);
      EXPECT_EQ(int(d->params.gran), gran);
      ASSERT_EQ(d->data, f.expected) << "bits=" << bits << " gran=" << gran;
    }
  }
}

TEST(FrameReference, RawFrameDecodesBitExactly) {
  reference_frame f;
  for (char c : {'E', 'P', 'Q', 'F'}) f.u8(uint8_t(c));
  for (unsigned v : {1u, 0u, 0u, 0u, 0u, 2u, 0u, 0u}) f.u8(v);
  f.u64(2), f.u64(2);
  std::vector<float> values = {1.5f, -0.0f, NAN, 3.4e38f};
  for (float v : values) f.f32(v);
  auto d = decode(f.bytes.data(), f.bytes.size());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->data.size(), 4u);
  EXPECT_EQ(0, std::memcmp(d->data.data(), values.data(), 16));
  EXPECT_EQ(d->params.bits, 0);
}

TEST(FrameReference, LibraryFramesFollowTheLayout) {
  // The other direction: the library's bytes are what the reference would write.
  std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f};
  auto got = encode(x.data(), {2, 5}, {3, clip_method::none, granularity::sample});
  ASSERT_TRUE(got);
  // Per sample: [0,4] and [5,9], scale = 4/7, codes round((x - lo) / scale).
  std::vector<uint32_t> codes;
  for (int s = 0; s < 2; ++s)
    for (int i = 0; i < 5; ++i) codes.push_back(uint32_t(std::lround(i / (4.0f / 7.0f))));
  reference_frame want =
      make_frame(3, 0, 1, {2, 5}, {{4.0f / 7.0f, 0.0f}, {4.0f / 7.0f, 5.0f}}, codes);
  EXPECT_EQ(*got, want.bytes);
}
