// kernels: the per-element loops of the codec (range scan, moments,
// quantize, dequantize, quantization error, bit packing), in three builds of the same
// arithmetic: portable C++, AVX2+FMA and AVX-512. The build needs no -march
// flag: the SIMD versions carry __attribute__((target)) and one is chosen at
// run time from what the CPU reports. Tests force each ISA in turn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace edgepipe::codecs {

enum class kernel_isa { portable = 0, avx2 = 1, avx512 = 2 };

struct range_scan {
  float min = 0.0f;
  float max = 0.0f;
  double sum = 0.0;
  bool finite = true; // false when any element is NaN or +-Inf
};

// The step of max_code levels over [lo, hi]. Never subnormal: a subnormal
// step has no finite inverse (the kernels multiply by 1/step, and
// (v - lo) * inf is NaN at v = lo, its cast to a code undefined; found by
// fuzz_codecs_decode under UBSan). The smallest normal step serves such a
// narrow range as well: codes stay in range, values within half of it.
inline float quant_step(float lo, float hi, uint32_t max_code) {
  float step = (hi - lo) / float(max_code);
  return step > 0.0f && step < std::numeric_limits<float>::min() ? std::numeric_limits<float>::min()
                                                                 : step;
}

struct kernel_table {
  kernel_isa isa;
  // min, max and sum of x[0..n); finite = false on NaN/Inf (then min/max are unspecified).
  range_scan (*scan)(const float* x, size_t n);
  // sum |x - mean| and sum (x - mean)^2.
  void (*deviations)(const float* x, size_t n, float mean, double* abs_sum, double* sq_sum);
  // codes[i] = round((clamp(x[i], lo, hi) - lo) * inv_scale), at most max_code.
  void (*quantize)(const float* x, size_t n, float lo, float hi, float inv_scale, uint32_t max_code,
                   uint16_t* codes);
  // dst[i] = lo + codes[i] * scale.
  void (*dequantize)(const uint16_t* codes, size_t n, float lo, float scale, float* dst);
  // sum (x - dequantize(quantize(x)))^2 for the range [lo, hi]: the real
  // quantization error the mse clipping minimises.
  double (*quant_sq_error)(const float* x, size_t n, float lo, float hi, float scale,
                           float inv_scale, uint32_t max_code);
  // bitpack.hpp's layout: n codes of `bits` (1..16) into ceil(n*bits/8) bytes, and back.
  void (*pack)(const uint16_t* codes, size_t n, int bits, uint8_t* dst);
  void (*unpack)(const uint8_t* src, size_t n, int bits, uint16_t* codes);
};

// The best table this CPU supports (or the one forced below).
const kernel_table& kernels();
// Whether this CPU can run the given ISA's kernels.
bool kernel_isa_supported(kernel_isa isa);
// Forces an ISA (tests, benchmarks); returns false if the CPU lacks it.
bool force_kernel_isa(kernel_isa isa);
const char* to_string(kernel_isa isa);

// The three builds (defined in kernels_*.cpp).
const kernel_table& portable_kernels();
const kernel_table& avx2_kernels();
const kernel_table& avx512_kernels();

} // namespace edgepipe::codecs
