// The s8 frame (element type 1): an int8 model's codes with their fixed step.
// A reference writer in this file (from the layout in the README) and the
// library agree byte for byte; codes come back exactly; every bad field is
// refused by name, every truncation is an error, no byte flip crashes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "codecs/codec.hpp"

using namespace edgepipe::codecs;

namespace {

// The layout from the README alone: header, shape, (step, 0), one byte per code.
std::vector<uint8_t> reference_s8(const std::vector<int64_t>& shape, float step,
                                  const std::vector<int8_t>& codes) {
  std::vector<uint8_t> b = {'E', 'P', 'Q', 'F', 1, 1, 8, 0, 0, uint8_t(shape.size()), 0, 0};
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
  };
  for (int64_t d : shape) u32(uint32_t(uint64_t(d))), u32(uint32_t(uint64_t(d) >> 32));
  uint32_t s;
  std::memcpy(&s, &step, 4);
  u32(s), u32(0);
  for (int8_t c : codes) b.push_back(uint8_t(c));
  return b;
}

// Every code once, [2, 128].
std::vector<int8_t> all_codes() {
  std::vector<int8_t> c;
  for (int v = -128; v <= 127; ++v) c.push_back(int8_t(v));
  return c;
}

constexpr float step = 0.0123f;

std::vector<uint8_t> valid_s8() {
  auto codes = all_codes();
  return *encode_s8(codes.data(), {2, 128}, step);
}

void put_f32(std::vector<uint8_t>& f, size_t pos, float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  for (int i = 0; i < 4; ++i) f[pos + size_t(i)] = uint8_t(u >> (8 * i));
}

// decode_s8's (or decode's) error message; empty when the frame decodes.
std::string error_of(const std::vector<uint8_t>& f, bool as_s8) {
  if (as_s8) {
    auto d = decode_s8(f.data(), f.size());
    return d ? std::string() : d.error().message;
  }
  auto d = decode(f.data(), f.size());
  return d ? std::string() : d.error().message;
}

// Offsets in valid_s8(): 12 fixed + 2 dims (16) = 28: step at 28, offset at 32, codes at 36.
constexpr size_t step_at = 28, offset_at = 32;

} // namespace

TEST(S8Frame, LibraryBytesAreTheReferenceLayoutAndCodesComeBackExactly) {
  auto codes = all_codes();
  auto got = encode_s8(codes.data(), {2, 128}, step);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, reference_s8({2, 128}, step, codes));
  EXPECT_EQ(got->size(), s8_frame_size({2, 128}));
  // The size of an 8-bit per-tensor float32 frame of the same shape: the
  // planner's and the bit controller's size tables hold for both.
  EXPECT_EQ(got->size(), frame_size({2, 128}, {8, clip_method::none, granularity::tensor}));

  auto back = decode_s8(got->data(), got->size());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->shape, (std::vector<int64_t>{2, 128}));
  EXPECT_EQ(back->codes, codes);
  EXPECT_EQ(back->step, step);

  // decode() reads it too, as code * step (for any reader that wants float32).
  auto as_float = decode(got->data(), got->size());
  ASSERT_TRUE(as_float) << as_float.error().message;
  EXPECT_TRUE(as_float->s8);
  EXPECT_EQ(as_float->params.bits, 8);
  for (size_t i = 0; i < codes.size(); ++i)
    ASSERT_EQ(as_float->data[i], float(codes[i]) * step) << i;
}

TEST(S8Frame, EmptyAndScalarTensors) {
  auto empty = encode_s8(nullptr, {0, 5}, step);
  ASSERT_TRUE(empty) << empty.error().message;
  auto e = decode_s8(empty->data(), empty->size());
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->codes.empty());
  int8_t one = -7;
  auto scalar = encode_s8(&one, {}, step);
  ASSERT_TRUE(scalar);
  auto s = decode_s8(scalar->data(), scalar->size());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->codes, std::vector<int8_t>{-7});
}

TEST(S8Frame, EncodeRefusesABadStep) {
  int8_t c = 1;
  for (float bad : {0.0f, -1.0f, NAN, INFINITY, 1e38f}) {
    auto f = encode_s8(&c, {1}, bad);
    ASSERT_FALSE(f) << bad;
    EXPECT_EQ(f.error().code, edgepipe::errc::invalid_argument);
  }
}

TEST(S8Frame, EachFieldIsChecked) {
  using mutate = std::function<void(std::vector<uint8_t>&)>;
  const std::vector<std::pair<std::string, mutate>> cases = {
      {"version", [](auto& f) { f[4] = 2; }},
      {"element type", [](auto& f) { f[5] = 2; }},
      {"bits", [](auto& f) { f[6] = 7; }},
      {"bits", [](auto& f) { f[6] = 0; }},
      {"clip method", [](auto& f) { f[7] = 1; }},
      {"granularity", [](auto& f) { f[8] = 1; }},
      {"step", [](auto& f) { f.resize(step_at + 5); }},
      {"step", [](auto& f) { put_f32(f, step_at, NAN); }},
      {"step", [](auto& f) { put_f32(f, step_at, INFINITY); }},
      {"step", [](auto& f) { put_f32(f, step_at, 0.0f); }},
      {"step", [](auto& f) { put_f32(f, step_at, -0.5f); }},
      {"step", [](auto& f) { put_f32(f, step_at, 3e36f); }}, // -128 * step overflows
      {"offset", [](auto& f) { put_f32(f, offset_at, 1.0f); }},
      {"offset", [](auto& f) { put_f32(f, offset_at, -0.0f); }},
      {"offset", [](auto& f) { put_f32(f, offset_at, NAN); }},
      {"payload", [](auto& f) { f.pop_back(); }},
      {"payload", [](auto& f) { f.push_back(0); }},
  };
  for (const auto& [field, change] : cases) {
    std::vector<uint8_t> f = valid_s8();
    change(f);
    SCOPED_TRACE(field);
    for (bool as_s8 : {true, false}) {
      const std::string message = error_of(f, as_s8);
      ASSERT_FALSE(message.empty()) << "accepted a frame with a bad " << field;
      EXPECT_NE(message.find("frame field '" + field + "'"), std::string::npos) << message;
    }
  }
}

TEST(S8Frame, AFloat32FrameIsNotAnS8Frame) {
  std::vector<float> x = {1.0f, 2.0f};
  for (int bits : {0, 8}) {
    auto f = encode(x, {2}, {bits, clip_method::none, granularity::tensor});
    ASSERT_TRUE(f);
    auto d = decode_s8(f->data(), f->size());
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("frame field 'element type'"), std::string::npos)
        << d.error().message;
  }
}

TEST(S8Frame, EveryTruncationIsAnErrorAndNoByteFlipCrashes) {
  const std::vector<uint8_t> f = valid_s8();
  for (size_t len = 0; len < f.size(); ++len) {
    std::vector<uint8_t> cut(f.begin(), f.begin() + long(len)); // exact-size buffer for ASan
    EXPECT_FALSE(decode_s8(cut.data(), cut.size())) << "len=" << len;
    EXPECT_FALSE(decode(cut.data(), cut.size())) << "len=" << len;
  }
  for (size_t pos = 0; pos < f.size(); ++pos)
    for (uint8_t v : {uint8_t(0), uint8_t(1), uint8_t(0x80), uint8_t(0xFF)}) {
      std::vector<uint8_t> g = f;
      g[pos] = v;
      if (auto d = decode_s8(g.data(), g.size())) {
        size_t n = 1;
        for (int64_t s : d->shape) n *= size_t(s);
        EXPECT_EQ(d->codes.size(), n);
        EXPECT_TRUE(std::isfinite(d->step) && d->step > 0.0f);
      }
    }
}
