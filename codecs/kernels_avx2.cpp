// AVX2 + FMA kernels, compiled with __attribute__((target)) so the rest of the
// build stays at the default ISA; chosen at run time (kernels.cpp).
#include <cmath>

#include "codecs/bitpack.hpp"
#include "codecs/kernels.hpp"
#include "codecs/kernels_scalar.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#define EDGEPIPE_AVX2 __attribute__((target("avx2,fma")))

namespace edgepipe::codecs {
namespace {

EDGEPIPE_AVX2 double sum_pd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

EDGEPIPE_AVX2 float hmin(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

EDGEPIPE_AVX2 float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

// Adds the 8 floats of v to acc as doubles (exact sums for long tensors).
EDGEPIPE_AVX2 __m256d add_as_double(__m256d acc, __m256 v) {
  acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

EDGEPIPE_AVX2 range_scan scan(const float* x, size_t n) {
  range_scan r;
  if (n == 0) return r;
  __m256 vmin = _mm256_set1_ps(x[0]), vmax = vmin;
  __m256d vsum = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    vmin = _mm256_min_ps(vmin, v);
    vmax = _mm256_max_ps(vmax, v);
    vsum = add_as_double(vsum, v);
  }
  float lo = hmin(vmin), hi = hmax(vmax);
  double sum = sum_pd(vsum);
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
    sum += x[i];
  }
  r.min = lo;
  r.max = hi;
  r.sum = sum;
  r.finite = std::isfinite(sum); // see kernels_portable.cpp
  return r;
}

EDGEPIPE_AVX2 void deviations(const float* x, size_t n, float mean, double* abs_sum,
                              double* sq_sum) {
  const __m256 vmean = _mm256_set1_ps(mean);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256d vabs = _mm256_setzero_pd(), vsq = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
    vabs = add_as_double(vabs, _mm256_andnot_ps(sign, d));
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d));
    __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
    vsq = _mm256_fmadd_pd(lo, lo, vsq);
    vsq = _mm256_fmadd_pd(hi, hi, vsq);
  }
  double a = sum_pd(vabs), s = sum_pd(vsq);
  for (; i < n; ++i) {
    float d = x[i] - mean;
    a += std::fabs(d);
    s += double(d) * d;
  }
  *abs_sum = a;
  *sq_sum = s;
}

// Eight codes as int32 lanes, same rounding as scalar::code_of.
EDGEPIPE_AVX2 __m256i codes8(__m256 v, __m256 lo, __m256 hi, __m256 inv, __m256i max_code) {
  v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  __m256 t = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(v, lo), inv), _mm256_set1_ps(0.5f));
  return _mm256_min_epu32(_mm256_cvttps_epi32(t), max_code);
}

EDGEPIPE_AVX2 __m256 values8(__m256i q, __m256 lo, __m256 scale) {
  return _mm256_add_ps(lo, _mm256_mul_ps(_mm256_cvtepi32_ps(q), scale));
}

EDGEPIPE_AVX2 void quantize(const float* x, size_t n, float lo, float hi, float inv_scale,
                            uint32_t max_code, uint16_t* codes) {
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), vinv = _mm256_set1_ps(inv_scale);
  const __m256i vmax = _mm256_set1_epi32(static_cast<int>(max_code));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i q0 = codes8(_mm256_loadu_ps(x + i), vlo, vhi, vinv, vmax);
    __m256i q1 = codes8(_mm256_loadu_ps(x + i + 8), vlo, vhi, vinv, vmax);
    // packus works per 128-bit lane; the permute restores element order.
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(q0, q1), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + i), packed);
  }
  for (; i < n; ++i)
    codes[i] = static_cast<uint16_t>(scalar::code_of(x[i], lo, hi, inv_scale, max_code));
}

EDGEPIPE_AVX2 void dequantize(const uint16_t* codes, size_t n, float lo, float scale, float* dst) {
  const __m256 vlo = _mm256_set1_ps(lo), vscale = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i));
    _mm256_storeu_ps(dst + i, values8(_mm256_cvtepu16_epi32(c), vlo, vscale));
  }
  for (; i < n; ++i) dst[i] = scalar::value_of(codes[i], lo, scale);
}

EDGEPIPE_AVX2 double quant_sq_error(const float* x, size_t n, float lo, float hi, float scale,
                                    float inv_scale, uint32_t max_code) {
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), vinv = _mm256_set1_ps(inv_scale);
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i vmax = _mm256_set1_epi32(static_cast<int>(max_code));
  __m256d acc = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 d = _mm256_sub_ps(v, values8(codes8(v, vlo, vhi, vinv, vmax), vlo, vscale));
    acc = add_as_double(acc, _mm256_mul_ps(d, d));
  }
  double err = sum_pd(acc);
  for (; i < n; ++i) {
    float d =
        x[i] - scalar::value_of(scalar::code_of(x[i], lo, hi, inv_scale, max_code), lo, scale);
    err += double(d) * d;
  }
  return err;
}

} // namespace

const kernel_table& avx2_kernels() {
  static const kernel_table table{
      kernel_isa::avx2, scan,           deviations,     quantize,
      dequantize,       quant_sq_error, pack_bits_avx2, unpack_bits_avx2};
  return table;
}

} // namespace edgepipe::codecs

#else // not x86-64: the portable build stands in (never selected, see kernels.cpp)
namespace edgepipe::codecs {
const kernel_table& avx2_kernels() {
  return portable_kernels();
}
} // namespace edgepipe::codecs
#endif
