// Bit packing against a bit-by-bit reference written here: exact sizes and
// exact bytes for every bitwidth 1..16 and lengths around group boundaries.
#include <gtest/gtest.h>

#include <random>

#include "codecs/bitpack.hpp"
#include "codecs/kernels.hpp"

using namespace edgepipe::codecs;

namespace {

// Reference: code k's bit i goes to stream bit k*b + i, stream bit j is bit
// j%8 of byte j/8.
std::vector<uint8_t> reference_pack(const std::vector<uint16_t>& codes, int b) {
  std::vector<uint8_t> out((codes.size() * b + 7) / 8, 0);
  for (size_t k = 0; k < codes.size(); ++k)
    for (int i = 0; i < b; ++i)
      if (codes[k] >> i & 1) {
        size_t j = k * b + i;
        out[j / 8] |= uint8_t(1u << (j % 8));
      }
  return out;
}

} // namespace

TEST(Bitpack, SizeIsExactlyCeilOfBits) {
  for (int b = 1; b <= 16; ++b)
    for (size_t n : {0, 1, 2, 7, 8, 9, 15, 16, 17, 1000, 1001, 197 * 768 + 3})
      EXPECT_EQ(packed_bytes(n, b), (n * size_t(b) + 7) / 8) << "b=" << b << " n=" << n;
}

TEST(Bitpack, MatchesReferenceAndRoundTripsEveryBitwidthInEveryBuild) {
  std::mt19937 rng(7);
  for (kernel_isa isa : {kernel_isa::portable, kernel_isa::avx2, kernel_isa::avx512}) {
    if (!force_kernel_isa(isa)) continue;
    SCOPED_TRACE(to_string(isa));
    for (int b = 1; b <= 16; ++b) {
      // Short lengths hit only the portable tail; long ones the vector loop and its bound.
      for (size_t n : {0, 1, 3, 8, 13, 16, 64, 65, 127, 159, 160, 161, 176, 192, 193, 1003, 4099}) {
        std::vector<uint16_t> codes(n);
        for (auto& c : codes) c = uint16_t(rng() & ((1u << b) - 1));
        if (n > 0) codes[0] = uint16_t((1u << b) - 1);             // the all-ones code too
        std::vector<uint8_t> packed(packed_bytes(n, b) + 4, 0xAB); // guard bytes after
        pack_bits(codes.data(), n, b, packed.data());
        std::vector<uint8_t> want = reference_pack(codes, b);
        ASSERT_TRUE(std::equal(want.begin(), want.end(), packed.begin()))
            << "b=" << b << " n=" << n;
        for (size_t g = want.size(); g < packed.size(); ++g)
          ASSERT_EQ(packed[g], 0xAB) << "wrote past the end, b=" << b << " n=" << n;
        // Unpack from an exact-size copy: no read past the payload (ASan in the fuzz build).
        std::vector<uint8_t> exact(want);
        std::vector<uint16_t> back(n + 1, 0xEEEE);
        unpack_bits(exact.data(), n, b, back.data());
        for (size_t k = 0; k < n; ++k) ASSERT_EQ(back[k], codes[k]) << "b=" << b << " k=" << k;
        ASSERT_EQ(back[n], 0xEEEE);
      }
    }
  }
  if (!force_kernel_isa(kernel_isa::avx512)) force_kernel_isa(kernel_isa::avx2);
}

TEST(Bitpack, DropsBitsAboveTheWidth) {
  std::vector<uint16_t> codes = {0xFFFF, 0x0003, 0xFFF0};
  std::vector<uint8_t> packed(packed_bytes(codes.size(), 2));
  pack_bits(codes.data(), codes.size(), 2, packed.data());
  EXPECT_EQ(packed[0], 0x03 | 0x0C | 0x00); // 3, 3, 0
}
