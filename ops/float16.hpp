// float16 / bfloat16 <-> float32 conversions for weight files (safetensors
// F16 and BF16). Exact: every half and bfloat16 value is a float32 value.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgepipe::ops {

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// bfloat16 is the top half of a float32.
inline float bf16_to_float(uint16_t h) {
  return bits_to_float(static_cast<uint32_t>(h) << 16);
}

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; handles
// subnormals, infinities and NaN.
inline float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return bits_to_float(sign | 0x7f800000u | (mantissa << 13)); // inf, NaN
  if (exponent == 0) {
    if (mantissa == 0) return bits_to_float(sign); // +-0
    // Subnormal: value = mantissa * 2^-24.
    float v = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

} // namespace edgepipe::ops
