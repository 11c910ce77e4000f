// The one-element forms of the kernels, shared by the portable build and the
// tails of the SIMD builds so that every build computes the same codes.
#pragma once

#include <cstdint>

namespace edgepipe::codecs::scalar {

// Clamp to [lo, hi], scale, round half up (v - lo >= 0, so +0.5 and truncate).
inline uint32_t code_of(float v, float lo, float hi, float inv_scale, uint32_t max_code) {
  v = v < lo ? lo : (v > hi ? hi : v);
  float scaled = (v - lo) * inv_scale; // separate statements: no FMA contraction
  uint32_t q = static_cast<uint32_t>(scaled + 0.5f);
  return q > max_code ? max_code : q;
}

// Separate multiply and add, never fused: bit-identical across builds.
inline float value_of(uint32_t code, float lo, float scale) {
  float scaled = float(code) * scale;
  return lo + scaled;
}

} // namespace edgepipe::codecs::scalar
