// Every SIMD build the CPU supports computes the same codes and the same
// decoded floats as the portable build, bit for bit, including tails.
#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "codecs/kernels.hpp"

using namespace edgepipe::codecs;

TEST(Kernels, SimdBuildsMatchPortable) {
  const kernel_table& ref = portable_kernels();
  for (kernel_isa isa : {kernel_isa::avx2, kernel_isa::avx512}) {
    if (!kernel_isa_supported(isa)) {
      std::printf("skipping %s: not supported by this CPU\n", to_string(isa));
      continue;
    }
    const kernel_table& k = isa == kernel_isa::avx2 ? avx2_kernels() : avx512_kernels();
    for (size_t n : {0, 1, 5, 15, 16, 17, 31, 33, 1000, 4099}) {
      auto x = codec_test::samples(codec_test::dist::laplace, n, n + 1);
      SCOPED_TRACE(std::string(to_string(isa)) + " n=" + std::to_string(n));
      range_scan a = ref.scan(x.data(), n), b = k.scan(x.data(), n);
      EXPECT_EQ(a.min, b.min);
      EXPECT_EQ(a.max, b.max);
      EXPECT_NEAR(a.sum, b.sum, 1e-9 * (1 + std::fabs(a.sum)));
      double ra, rs, ka, ks;
      ref.deviations(x.data(), n, 0.25f, &ra, &rs);
      k.deviations(x.data(), n, 0.25f, &ka, &ks);
      EXPECT_NEAR(ra, ka, 1e-9 * (1 + ra));
      EXPECT_NEAR(rs, ks, 1e-9 * (1 + rs));
      for (int bits : {1, 2, 4, 7, 8, 13, 16}) {
        uint32_t max_code = (1u << bits) - 1;
        float lo = -1.5f, hi = 2.0f, scale = (hi - lo) / float(max_code), inv = 1.0f / scale;
        std::vector<uint16_t> ca(n + 1, 7), cb(n + 1, 7);
        ref.quantize(x.data(), n, lo, hi, inv, max_code, ca.data());
        k.quantize(x.data(), n, lo, hi, inv, max_code, cb.data());
        ASSERT_EQ(ca, cb) << "bits=" << bits;
        std::vector<float> da(n + 1, 9.f), db(n + 1, 9.f);
        ref.dequantize(ca.data(), n, lo, scale, da.data());
        k.dequantize(ca.data(), n, lo, scale, db.data());
        ASSERT_EQ(0, std::memcmp(da.data(), db.data(), 4 * (n + 1))) << "bits=" << bits;
        double ea = ref.quant_sq_error(x.data(), n, lo, hi, scale, inv, max_code);
        double eb = k.quant_sq_error(x.data(), n, lo, hi, scale, inv, max_code);
        EXPECT_NEAR(ea, eb, 1e-6 * (1 + ea));
      }
    }
  }
}

TEST(Kernels, ScanFlagsNonFinite) {
  for (kernel_isa isa : {kernel_isa::portable, kernel_isa::avx2, kernel_isa::avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    const kernel_table& k = isa == kernel_isa::portable ? portable_kernels()
                            : isa == kernel_isa::avx2   ? avx2_kernels()
                                                        : avx512_kernels();
    for (float bad : {NAN, INFINITY, -INFINITY}) {
      for (size_t pos : {0, 5, 16, 36}) {
        std::vector<float> x(37, 1.0f);
        x[pos] = bad;
        EXPECT_FALSE(k.scan(x.data(), x.size()).finite) << to_string(isa) << " pos=" << pos;
      }
    }
    std::vector<float> big(40, 3.0e38f);
    EXPECT_TRUE(k.scan(big.data(), big.size()).finite) << "finite sums must not overflow";
  }
}
