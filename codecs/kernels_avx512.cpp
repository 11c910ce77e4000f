// AVX-512 (F, BW, VL, DQ) kernels: 16 floats a step, masked tails instead of
// scalar loops. Chosen at run time (kernels.cpp); same rounding as the others.
#include <cmath>

#include "codecs/bitpack.hpp"
#include "codecs/kernels.hpp"
#include "codecs/kernels_scalar.hpp"

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics build "undefined" vectors by self-assignment,
// which -Wuninitialized reports once they are inlined into our functions: a
// known false positive of the headers, silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#define EDGEPIPE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

namespace edgepipe::codecs {
namespace {

EDGEPIPE_AVX512 __mmask16 tail_mask(size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

// Adds the 16 floats of v to acc as doubles.
EDGEPIPE_AVX512 __m512d add_as_double(__m512d acc, __m512 v) {
  acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

EDGEPIPE_AVX512 range_scan scan(const float* x, size_t n) {
  range_scan r;
  if (n == 0) return r;
  __m512 vmin = _mm512_set1_ps(x[0]), vmax = vmin;
  __m512d vsum = _mm512_setzero_pd();
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    // Masked-off lanes load x[0], neutral for min and max; zero for the sum.
    __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(x[0]), m, x + i);
    vmin = _mm512_min_ps(vmin, v);
    vmax = _mm512_max_ps(vmax, v);
    vsum = add_as_double(vsum, _mm512_maskz_mov_ps(m, v));
  }
  r.min = _mm512_reduce_min_ps(vmin);
  r.max = _mm512_reduce_max_ps(vmax);
  r.sum = _mm512_reduce_add_pd(vsum);
  r.finite = std::isfinite(r.sum); // see kernels_portable.cpp
  return r;
}

EDGEPIPE_AVX512 void deviations(const float* x, size_t n, float mean, double* abs_sum,
                                double* sq_sum) {
  const __m512 vmean = _mm512_set1_ps(mean);
  __m512d vabs = _mm512_setzero_pd(), vsq = _mm512_setzero_pd();
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), vmean);
    vabs = add_as_double(vabs, _mm512_abs_ps(d));
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(d));
    __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(d, 1));
    vsq = _mm512_fmadd_pd(lo, lo, vsq);
    vsq = _mm512_fmadd_pd(hi, hi, vsq);
  }
  *abs_sum = _mm512_reduce_add_pd(vabs);
  *sq_sum = _mm512_reduce_add_pd(vsq);
}

// Sixteen codes as uint32 lanes, same rounding as scalar::code_of.
EDGEPIPE_AVX512 __m512i codes16(__m512 v, __m512 lo, __m512 hi, __m512 inv, __m512i max_code) {
  v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  __m512 t = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(v, lo), inv), _mm512_set1_ps(0.5f));
  return _mm512_min_epu32(_mm512_cvttps_epu32(t), max_code);
}

EDGEPIPE_AVX512 __m512 values16(__m512i q, __m512 lo, __m512 scale) {
  return _mm512_add_ps(lo, _mm512_mul_ps(_mm512_cvtepu32_ps(q), scale));
}

EDGEPIPE_AVX512 void quantize(const float* x, size_t n, float lo, float hi, float inv_scale,
                              uint32_t max_code, uint16_t* codes) {
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), vinv = _mm512_set1_ps(inv_scale);
  const __m512i vmax = _mm512_set1_epi32(static_cast<int>(max_code));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i q = codes16(_mm512_loadu_ps(x + i), vlo, vhi, vinv, vmax);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + i), _mm512_cvtepi32_epi16(q));
  }
  if (i < n) {
    __mmask16 m = tail_mask(n - i);
    __m512i q = codes16(_mm512_maskz_loadu_ps(m, x + i), vlo, vhi, vinv, vmax);
    _mm256_mask_storeu_epi16(codes + i, m, _mm512_cvtepi32_epi16(q));
  }
}

EDGEPIPE_AVX512 void dequantize(const uint16_t* codes, size_t n, float lo, float scale,
                                float* dst) {
  const __m512 vlo = _mm512_set1_ps(lo), vscale = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i));
    _mm512_storeu_ps(dst + i, values16(_mm512_cvtepu16_epi32(c), vlo, vscale));
  }
  if (i < n) {
    __mmask16 m = tail_mask(n - i);
    __m256i c = _mm256_maskz_loadu_epi16(m, codes + i);
    _mm512_mask_storeu_ps(dst + i, m, values16(_mm512_cvtepu16_epi32(c), vlo, vscale));
  }
}

EDGEPIPE_AVX512 double quant_sq_error(const float* x, size_t n, float lo, float hi, float scale,
                                      float inv_scale, uint32_t max_code) {
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), vinv = _mm512_set1_ps(inv_scale);
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512i vmax = _mm512_set1_epi32(static_cast<int>(max_code));
  __m512d acc = _mm512_setzero_pd();
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 d = _mm512_maskz_sub_ps(m, v, values16(codes16(v, vlo, vhi, vinv, vmax), vlo, vscale));
    acc = add_as_double(acc, _mm512_mul_ps(d, d));
  }
  return _mm512_reduce_add_pd(acc);
}

} // namespace

const kernel_table& avx512_kernels() {
  static const kernel_table table{
      kernel_isa::avx512, scan,           deviations,       quantize,
      dequantize,         quant_sq_error, pack_bits_avx512, unpack_bits_avx512};
  return table;
}

} // namespace edgepipe::codecs

#else // not x86-64: the portable build stands in (never selected, see kernels.cpp)
namespace edgepipe::codecs {
const kernel_table& avx512_kernels() {
  return portable_kernels();
}
} // namespace edgepipe::codecs
#endif
