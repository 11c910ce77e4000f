// frame: the wire layout of an encoded tensor. All integers and floats are
// little-endian whatever the host; nothing is aligned.
//
//   offset  size      field
//   0       4         magic "EPQF"
//   4       1         version (1)
//   5       1         element type: 0 = float32 (raw or packed codes), 1 = s8 with a fixed step
//   6       1         bits: 0 = raw float32 payload, 1..16 = packed codes (s8: 8)
//   7       1         clip method (codec.hpp clip_method 0..5; 0 when bits = 0)
//   8       1         granularity (0 = tensor, 1 = sample; 0 when bits = 0)
//   9       1         rank (0..8)
//   10      2         reserved, must be 0
//   12      8*rank    shape, int64 each, every dimension >= 0
//   ...     8*groups  per group (1, or shape[0] per sample): float32 scale, float32 offset
//   ...     payload   bits = 0: numel float32; else ceil(numel*bits/8) bytes (bitpack.hpp)
//
// Element i of group g decodes to offset_g + code_i * scale_g. An s8 frame
// (element type 1, codec.hpp encode_s8) has bits 8, clip 0, granularity 0,
// one pair (step, offset 0) and numel bytes of two's-complement codes:
// element i is code_i * step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/expected.hpp"
#include "codecs/codec.hpp"

namespace edgepipe::codecs {

constexpr uint8_t frame_magic[4] = {'E', 'P', 'Q', 'F'};
constexpr uint8_t frame_version = 1;
constexpr uint8_t element_float32 = 0;
constexpr uint8_t element_s8 = 1; // s8 codes with a fixed step (codec.hpp encode_s8)
constexpr size_t frame_fixed_header = 12;
constexpr int frame_max_rank = 8;
// Element counts above 2^48 are refused: no activation is that large, and it
// keeps every size computation (numel * 16 bits, numel * 4 bytes) far from overflow.
constexpr uint64_t frame_max_elements = uint64_t(1) << 48;

struct group_params {
  float scale = 0.0f;
  float offset = 0.0f;
};

// Everything before the payload, parsed and validated.
struct frame_header {
  uint8_t element = element_float32;
  quant_params params; // an s8 frame: bits 8, clip none, granularity tensor
  std::vector<int64_t> shape;
  uint64_t numel = 0;
  std::vector<group_params> groups; // 0 pairs (raw), 1 (tensor, s8: the step) or shape[0] (sample)
  size_t payload_offset = 0;        // where the payload starts
  size_t payload_bytes = 0;
};

// Validates the header and sizes against the whole frame length (the payload
// must end exactly at `size`). The error names the bad field.
expected<frame_header> parse_frame_header(const uint8_t* bytes, size_t size);

// Element count of a shape, or an error if a dimension is negative or the
// product exceeds frame_max_elements.
expected<uint64_t> checked_numel(const std::vector<int64_t>& shape);

// Little-endian stores and loads, independent of the host's byte order.
inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_f32(uint8_t* p, float f) {
  uint32_t v;
  std::memcpy(&v, &f, 4);
  store_u32(p, v);
}
inline uint16_t load_u16(const uint8_t* p) {
  return uint16_t(p[0] | (p[1] << 8));
}
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(p[i]) << (8 * i);
  return v;
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}
inline float load_f32(const uint8_t* p) {
  uint32_t v = load_u32(p);
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}

} // namespace edgepipe::codecs
