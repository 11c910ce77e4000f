// Bit packing with AVX2 (16 codes a step) and AVX-512 (32 codes a step); the
// layout is bitpack.hpp's, the portable build finishes the tails.
//
// Each 128-bit lane holds a group of 8 codes (16 bits each) and is packed by a
// shift-or tree: pairs of 16-bit codes into 2b bits of a 32-bit lane, pairs of
// those into 4b bits of a 64-bit lane, the two halves into 8b bits = b bytes
// at the bottom of the 128-bit lane (shift counts of 64 give 0 and of 0 give
// the value, so b = 16 needs no special case). The lanes' b bytes are then
// written with overlapping 16-byte stores at dst, dst+b, dst+2b, ...; the
// garbage past each lane's b bytes is overwritten by the next lane, so the
// vector loop stops early enough (i + step + 128 <= n) that the last store
// stays inside the payload. Unpacking runs the tree backwards with
// overlapping 16-byte loads under the same bound.
#include "codecs/bitpack.hpp"

#if defined(__x86_64__)
// GCC 12's AVX-512 headers trip -Wuninitialized (see kernels_avx512.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#define EDGEPIPE_AVX2 __attribute__((target("avx2")))
#define EDGEPIPE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2")))

namespace edgepipe::codecs {
namespace {

uint64_t low_bits(int n) {
  return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
}

} // namespace

EDGEPIPE_AVX2 void pack_bits_avx2(const uint16_t* codes, size_t n, int bits, uint8_t* dst) {
  const __m128i b1 = _mm_cvtsi32_si128(bits), b2 = _mm_cvtsi32_si128(2 * bits);
  const __m128i b4 = _mm_cvtsi32_si128(4 * bits), b4c = _mm_cvtsi32_si128(64 - 4 * bits);
  const __m256i code_mask = _mm256_set1_epi16(short(low_bits(bits)));
  const __m256i m16 = _mm256_set1_epi32(0xFFFF);
  const __m256i m32 = _mm256_set1_epi64x(0xFFFFFFFF);
  const __m256i low_qword = _mm256_set_epi64x(0, -1, 0, -1);
  size_t i = 0;
  for (; i + 16 + 128 <= n; i += 16) {
    __m256i v = _mm256_and_si256(_mm256_loadu_si256((const __m256i*)(codes + i)), code_mask);
    v = _mm256_or_si256(_mm256_and_si256(v, m16), _mm256_sll_epi32(_mm256_srli_epi32(v, 16), b1));
    v = _mm256_or_si256(_mm256_and_si256(v, m32), _mm256_sll_epi64(_mm256_srli_epi64(v, 32), b2));
    __m256i hi = _mm256_srli_si256(v, 8); // each lane's upper qword, moved down
    __m256i a = _mm256_or_si256(_mm256_and_si256(v, low_qword), _mm256_sll_epi64(hi, b4));
    v = _mm256_or_si256(a, _mm256_slli_si256(_mm256_srl_epi64(hi, b4c), 8));
    uint8_t* out = dst + i / 8 * size_t(bits);
    _mm_storeu_si128((__m128i*)out, _mm256_castsi256_si128(v));
    _mm_storeu_si128((__m128i*)(out + bits), _mm256_extracti128_si256(v, 1));
  }
  pack_bits_portable(codes + i, n - i, bits, dst + i / 8 * size_t(bits));
}

EDGEPIPE_AVX2 void unpack_bits_avx2(const uint8_t* src, size_t n, int bits, uint16_t* codes) {
  const __m128i b1 = _mm_cvtsi32_si128(bits), b2 = _mm_cvtsi32_si128(2 * bits);
  const __m128i b4 = _mm_cvtsi32_si128(4 * bits), b4c = _mm_cvtsi32_si128(64 - 4 * bits);
  const __m256i m1 = _mm256_set1_epi32(int(low_bits(bits)));
  const __m256i m2 = _mm256_set1_epi64x(int64_t(low_bits(2 * bits)));
  const __m256i m4_low =
      _mm256_set_epi64x(0, int64_t(low_bits(4 * bits)), 0, int64_t(low_bits(4 * bits)));
  size_t i = 0;
  for (; i + 16 + 128 <= n; i += 16) {
    const uint8_t* in = src + i / 8 * size_t(bits);
    __m256i v = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i*)in));
    v = _mm256_inserti128_si256(v, _mm_loadu_si128((const __m128i*)(in + bits)), 1);
    __m256i up = _mm256_srli_si256(v, 8);
    __m256i hi = _mm256_or_si256(_mm256_srl_epi64(v, b4), _mm256_sll_epi64(up, b4c));
    v = _mm256_or_si256(_mm256_and_si256(v, m4_low),
                        _mm256_slli_si256(_mm256_and_si256(hi, m4_low), 8));
    v = _mm256_or_si256(_mm256_and_si256(v, m2),
                        _mm256_slli_epi64(_mm256_and_si256(_mm256_srl_epi64(v, b2), m2), 32));
    v = _mm256_or_si256(_mm256_and_si256(v, m1),
                        _mm256_slli_epi32(_mm256_and_si256(_mm256_srl_epi32(v, b1), m1), 16));
    _mm256_storeu_si256((__m256i*)(codes + i), v);
  }
  unpack_bits_portable(src + i / 8 * size_t(bits), n - i, bits, codes + i);
}

EDGEPIPE_AVX512 void pack_bits_avx512(const uint16_t* codes, size_t n, int bits, uint8_t* dst) {
  const __m128i b1 = _mm_cvtsi32_si128(bits), b2 = _mm_cvtsi32_si128(2 * bits);
  const __m128i b4 = _mm_cvtsi32_si128(4 * bits), b4c = _mm_cvtsi32_si128(64 - 4 * bits);
  const __m512i code_mask = _mm512_set1_epi16(short(low_bits(bits)));
  const __m512i m16 = _mm512_set1_epi32(0xFFFF);
  const __m512i m32 = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i low_qword = _mm512_set_epi64(0, -1, 0, -1, 0, -1, 0, -1);
  size_t i = 0;
  for (; i + 32 + 128 <= n; i += 32) {
    __m512i v = _mm512_and_si512(_mm512_loadu_si512(codes + i), code_mask);
    v = _mm512_or_si512(_mm512_and_si512(v, m16), _mm512_sll_epi32(_mm512_srli_epi32(v, 16), b1));
    v = _mm512_or_si512(_mm512_and_si512(v, m32), _mm512_sll_epi64(_mm512_srli_epi64(v, 32), b2));
    __m512i hi = _mm512_bsrli_epi128(v, 8);
    __m512i a = _mm512_or_si512(_mm512_and_si512(v, low_qword), _mm512_sll_epi64(hi, b4));
    v = _mm512_or_si512(a, _mm512_bslli_epi128(_mm512_srl_epi64(hi, b4c), 8));
    uint8_t* out = dst + i / 8 * size_t(bits);
    _mm_storeu_si128((__m128i*)out, _mm512_castsi512_si128(v));
    _mm_storeu_si128((__m128i*)(out + bits), _mm512_extracti32x4_epi32(v, 1));
    _mm_storeu_si128((__m128i*)(out + 2 * bits), _mm512_extracti32x4_epi32(v, 2));
    _mm_storeu_si128((__m128i*)(out + 3 * bits), _mm512_extracti32x4_epi32(v, 3));
  }
  pack_bits_portable(codes + i, n - i, bits, dst + i / 8 * size_t(bits));
}

EDGEPIPE_AVX512 void unpack_bits_avx512(const uint8_t* src, size_t n, int bits, uint16_t* codes) {
  const __m128i b1 = _mm_cvtsi32_si128(bits), b2 = _mm_cvtsi32_si128(2 * bits);
  const __m128i b4 = _mm_cvtsi32_si128(4 * bits), b4c = _mm_cvtsi32_si128(64 - 4 * bits);
  const __m512i m1 = _mm512_set1_epi32(int(low_bits(bits)));
  const __m512i m2 = _mm512_set1_epi64(int64_t(low_bits(2 * bits)));
  const int64_t m4 = int64_t(low_bits(4 * bits));
  const __m512i m4_low = _mm512_set_epi64(0, m4, 0, m4, 0, m4, 0, m4);
  size_t i = 0;
  for (; i + 32 + 128 <= n; i += 32) {
    const uint8_t* in = src + i / 8 * size_t(bits);
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i*)in));
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i*)(in + bits)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i*)(in + 2 * bits)), 2);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i*)(in + 3 * bits)), 3);
    __m512i up = _mm512_bsrli_epi128(v, 8);
    __m512i hi = _mm512_or_si512(_mm512_srl_epi64(v, b4), _mm512_sll_epi64(up, b4c));
    v = _mm512_or_si512(_mm512_and_si512(v, m4_low),
                        _mm512_bslli_epi128(_mm512_and_si512(hi, m4_low), 8));
    v = _mm512_or_si512(_mm512_and_si512(v, m2),
                        _mm512_slli_epi64(_mm512_and_si512(_mm512_srl_epi64(v, b2), m2), 32));
    v = _mm512_or_si512(_mm512_and_si512(v, m1),
                        _mm512_slli_epi32(_mm512_and_si512(_mm512_srl_epi32(v, b1), m1), 16));
    _mm512_storeu_si512(codes + i, v);
  }
  unpack_bits_portable(src + i / 8 * size_t(bits), n - i, bits, codes + i);
}

} // namespace edgepipe::codecs

#else // not x86-64: never selected (kernels.cpp), the portable build stands in
namespace edgepipe::codecs {
void pack_bits_avx2(const uint16_t* c, size_t n, int b, uint8_t* d) {
  pack_bits_portable(c, n, b, d);
}
void unpack_bits_avx2(const uint8_t* s, size_t n, int b, uint16_t* c) {
  unpack_bits_portable(s, n, b, c);
}
void pack_bits_avx512(const uint16_t* c, size_t n, int b, uint8_t* d) {
  pack_bits_portable(c, n, b, d);
}
void unpack_bits_avx512(const uint8_t* s, size_t n, int b, uint16_t* c) {
  unpack_bits_portable(s, n, b, c);
}
} // namespace edgepipe::codecs
#endif
