// The portable kernels: plain loops, the reference the SIMD builds must match
// and the path on CPUs without AVX2. Every build rounds the same way (add 0.5,
// truncate) and dequantizes with a separate multiply and add (no FMA), so the
// codes and the decoded floats are bit-identical whichever build runs.
#include <cmath>

#include "codecs/bitpack.hpp"
#include "codecs/kernels.hpp"
#include "codecs/kernels_scalar.hpp"

namespace edgepipe::codecs {
namespace {

range_scan scan(const float* x, size_t n) {
  range_scan r;
  if (n == 0) return r;
  float lo = x[0], hi = x[0];
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    sum += v;
  }
  r.min = lo;
  r.max = hi;
  r.sum = sum;
  // A double sum of finite floats cannot overflow, so it is finite exactly
  // when every element is (Inf - Inf gives NaN, also caught).
  r.finite = std::isfinite(sum);
  return r;
}

void deviations(const float* x, size_t n, float mean, double* abs_sum, double* sq_sum) {
  double a = 0.0, s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    float d = x[i] - mean;
    a += std::fabs(d);
    s += double(d) * d;
  }
  *abs_sum = a;
  *sq_sum = s;
}

void quantize(const float* x, size_t n, float lo, float hi, float inv_scale, uint32_t max_code,
              uint16_t* codes) {
  for (size_t i = 0; i < n; ++i)
    codes[i] = static_cast<uint16_t>(scalar::code_of(x[i], lo, hi, inv_scale, max_code));
}

void dequantize(const uint16_t* codes, size_t n, float lo, float scale, float* dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = scalar::value_of(codes[i], lo, scale);
}

double quant_sq_error(const float* x, size_t n, float lo, float hi, float scale, float inv_scale,
                      uint32_t max_code) {
  double err = 0.0;
  for (size_t i = 0; i < n; ++i) {
    float back = scalar::value_of(scalar::code_of(x[i], lo, hi, inv_scale, max_code), lo, scale);
    float d = x[i] - back;
    err += double(d) * d;
  }
  return err;
}

} // namespace

const kernel_table& portable_kernels() {
  static const kernel_table table{
      kernel_isa::portable, scan,           deviations,         quantize,
      dequantize,           quant_sq_error, pack_bits_portable, unpack_bits_portable};
  return table;
}

} // namespace edgepipe::codecs
