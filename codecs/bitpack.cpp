// Bit packing, portable build, in groups of 8 codes: 8 codes of B bits are exactly B bytes, so
// every group starts on a byte boundary and the loop needs no carried state.
// B is a template parameter so the shifts and the B-byte store are constants
// the compiler turns into a few wide operations (byte stores of one shifted
// word merge into one store on little-endian hosts; the code itself is
// endian-independent).
#include "codecs/bitpack.hpp"

#include "codecs/kernels.hpp"

#include <array>
#include <type_traits>
#include <utility>

namespace edgepipe::codecs {
namespace {

template <int B> using group_word = std::conditional_t<(B <= 8), uint64_t, unsigned __int128>;

template <int B> void pack_fixed(const uint16_t* codes, size_t n, uint8_t* dst) {
  using word = group_word<B>;
  constexpr uint32_t mask = (1u << B) - 1u;
  size_t groups = n / 8;
  for (size_t g = 0; g < groups; ++g, codes += 8, dst += B) {
    word v = 0;
    for (int k = 0; k < 8; ++k) v |= word(codes[k] & mask) << (k * B);
    for (int j = 0; j < B; ++j) dst[j] = uint8_t(v >> (8 * j));
  }
  size_t rest = n % 8; // a short last group: only the bytes it covers
  if (rest == 0) return;
  word v = 0;
  for (size_t k = 0; k < rest; ++k) v |= word(codes[k] & mask) << (k * B);
  size_t bytes = (rest * B + 7) / 8;
  for (size_t j = 0; j < bytes; ++j) dst[j] = uint8_t(v >> (8 * j));
}

template <int B> void unpack_fixed(const uint8_t* src, size_t n, uint16_t* codes) {
  using word = group_word<B>;
  constexpr uint32_t mask = (1u << B) - 1u;
  size_t groups = n / 8;
  for (size_t g = 0; g < groups; ++g, codes += 8, src += B) {
    word v = 0;
    for (int j = 0; j < B; ++j) v |= word(src[j]) << (8 * j);
    for (int k = 0; k < 8; ++k) codes[k] = uint16_t(uint32_t(v >> (k * B)) & mask);
  }
  size_t rest = n % 8;
  if (rest == 0) return;
  word v = 0;
  size_t bytes = (rest * B + 7) / 8;
  for (size_t j = 0; j < bytes; ++j) v |= word(src[j]) << (8 * j);
  for (size_t k = 0; k < rest; ++k) codes[k] = uint16_t(uint32_t(v >> (k * B)) & mask);
}

using pack_fn = void (*)(const uint16_t*, size_t, uint8_t*);
using unpack_fn = void (*)(const uint8_t*, size_t, uint16_t*);

template <int... B> constexpr auto make_pack_table(std::integer_sequence<int, B...>) {
  return std::array<pack_fn, sizeof...(B)>{&pack_fixed<B + 1>...};
}
template <int... B> constexpr auto make_unpack_table(std::integer_sequence<int, B...>) {
  return std::array<unpack_fn, sizeof...(B)>{&unpack_fixed<B + 1>...};
}

constexpr auto pack_table = make_pack_table(std::make_integer_sequence<int, 16>{});
constexpr auto unpack_table = make_unpack_table(std::make_integer_sequence<int, 16>{});

} // namespace

void pack_bits_portable(const uint16_t* codes, size_t n, int bits, uint8_t* dst) {
  if (bits < 1 || bits > 16) return;
  pack_table[size_t(bits - 1)](codes, n, dst);
}

void unpack_bits_portable(const uint8_t* src, size_t n, int bits, uint16_t* codes) {
  if (bits < 1 || bits > 16) return;
  unpack_table[size_t(bits - 1)](src, n, codes);
}

void pack_bits(const uint16_t* codes, size_t n, int bits, uint8_t* dst) {
  if (bits < 1 || bits > 16) return;
  kernels().pack(codes, n, bits, dst);
}

void unpack_bits(const uint8_t* src, size_t n, int bits, uint16_t* codes) {
  if (bits < 1 || bits > 16) return;
  kernels().unpack(src, n, bits, codes);
}

} // namespace edgepipe::codecs
