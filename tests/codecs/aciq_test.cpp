// ACIQ clipping factors: the golden-section minimum of the MSE formula must
// agree with the closed form of the Laplace optimum (Lambert W, solved here by
// Halley's iteration) and with a zero of the Gaussian formula's derivative.
#include <gtest/gtest.h>

#include <cmath>

#include "codecs/aciq.hpp"

using namespace edgepipe::codecs;

namespace {

// W(z): the w with w e^w = z, z > 0, by Halley's method.
double lambert_w(double z) {
  double w = std::log(z) - std::log(std::log(z) + 1.0);
  for (int i = 0; i < 50; ++i) {
    double e = std::exp(w), f = w * e - z;
    w -= f / (e * (w + 1) - (w + 2) * f / (2 * w + 2));
  }
  return w;
}

} // namespace

TEST(Aciq, LaplaceFactorIsLambertW) {
  for (int bits = 1; bits <= 16; ++bits) {
    double want = lambert_w(3.0 * std::pow(4.0, bits));
    EXPECT_NEAR(laplace_clip_factor(bits), want, 1e-6) << "bits=" << bits;
  }
  // The values Banner et al. quote (2.83 b at 2 bits, 5.03 b at 4, 9.89 b at 8).
  EXPECT_NEAR(laplace_clip_factor(2), 2.83, 0.005);
  EXPECT_NEAR(laplace_clip_factor(4), 5.03, 0.005);
  EXPECT_NEAR(laplace_clip_factor(8), 9.89, 0.01);
}

TEST(Aciq, GaussianFactorIsAStationaryPoint) {
  for (int bits = 1; bits <= 16; ++bits) {
    double a = gaussian_clip_factor(bits), h = 1e-4;
    double slope = (gaussian_clip_mse(a + h, bits) - gaussian_clip_mse(a - h, bits)) / (2 * h);
    double scale = gaussian_clip_mse(a, bits) / a;
    EXPECT_LT(std::fabs(slope), 1e-5 * scale + 1e-12) << "bits=" << bits;
    EXPECT_LT(gaussian_clip_mse(a, bits), gaussian_clip_mse(a * 0.9, bits));
    EXPECT_LT(gaussian_clip_mse(a, bits), gaussian_clip_mse(a * 1.1, bits));
  }
  EXPECT_NEAR(gaussian_clip_factor(2), 1.71, 0.005);
  EXPECT_NEAR(gaussian_clip_factor(4), 2.55, 0.01);
  EXPECT_NEAR(gaussian_clip_factor(8), 3.92, 0.01);
}

TEST(Aciq, FactorsGrowWithBits) {
  for (int bits = 2; bits <= 16; ++bits) {
    EXPECT_GT(laplace_clip_factor(bits), laplace_clip_factor(bits - 1));
    EXPECT_GT(gaussian_clip_factor(bits), gaussian_clip_factor(bits - 1));
  }
  EXPECT_EQ(laplace_clip_factor(0), 0.0);
  EXPECT_EQ(laplace_clip_factor(17), 0.0);
}
