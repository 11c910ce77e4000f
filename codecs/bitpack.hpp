// bitpack: n codes of b bits (1..16) in exactly ceil(n*b/8) bytes, no padding
// between values. Layout: the payload is one little-endian bit string; code k
// occupies bits [k*b, (k+1)*b) where bit j is bit (j % 8) of byte j / 8. The
// layout does not depend on the host's byte order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgepipe::codecs {

// ceil(n * bits / 8); bits in 1..16 (0 gives 0).
inline size_t packed_bytes(size_t n, int bits) {
  return (n / 8) * size_t(bits) + ((n % 8) * size_t(bits) + 7) / 8;
}

// Writes exactly packed_bytes(n, bits) bytes to dst. Codes must be < 2^bits
// (higher bits are dropped).
void pack_bits(const uint16_t* codes, size_t n, int bits, uint8_t* dst);

// Reads exactly packed_bytes(n, bits) bytes from src.
void unpack_bits(const uint8_t* src, size_t n, int bits, uint16_t* codes);

// The portable build of both (kernels_portable.cpp; the SIMD builds finish
// their tails with it). pack_bits/unpack_bits use the best build (kernels.hpp).
void pack_bits_portable(const uint16_t* codes, size_t n, int bits, uint8_t* dst);
void unpack_bits_portable(const uint8_t* src, size_t n, int bits, uint16_t* codes);
// The SIMD builds (bitpack_simd.cpp), for the kernel tables only: they need the CPU feature.
void pack_bits_avx2(const uint16_t* codes, size_t n, int bits, uint8_t* dst);
void unpack_bits_avx2(const uint8_t* src, size_t n, int bits, uint16_t* codes);
void pack_bits_avx512(const uint16_t* codes, size_t n, int bits, uint8_t* dst);
void unpack_bits_avx512(const uint8_t* src, size_t n, int bits, uint16_t* codes);

} // namespace edgepipe::codecs
