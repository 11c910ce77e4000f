// The ACIQ clipping factors, derived from the MSE formulas (see aciq.hpp).
#include "codecs/aciq.hpp"

#include <array>
#include <cmath>

namespace edgepipe::codecs {
namespace {

constexpr double pi = 3.14159265358979323846;

// Rounding noise of a uniform quantizer with 2^bits levels over [-a, a]:
// step 2a / 2^bits, noise step^2 / 12 = a^2 / (3 * 4^bits).
double rounding_noise(double a, int bits) {
  return a * a / (3.0 * std::ldexp(1.0, 2 * bits));
}

// The search interval: at 16 bits the Laplace optimum is about 20.4 and the
// Gaussian one about 5.9, far inside [0, 64].
constexpr double search_hi = 64.0;
constexpr double search_tol = 1e-10;

template <class F> std::array<double, 17> factor_table(F mse) {
  std::array<double, 17> t{};
  for (int bits = 1; bits <= 16; ++bits)
    t[size_t(bits)] =
        golden_section_min([&](double a) { return mse(a, bits); }, 0.0, search_hi, search_tol);
  return t;
}

} // namespace

double laplace_clip_mse(double a, int bits) {
  return 2.0 * std::exp(-a) + rounding_noise(a, bits);
}

double gaussian_clip_mse(double a, int bits) {
  double clip = (1.0 + a * a) * std::erfc(a / std::sqrt(2.0)) -
                a * std::sqrt(2.0 / pi) * std::exp(-0.5 * a * a);
  return clip + rounding_noise(a, bits);
}

double laplace_clip_factor(int bits) {
  static const std::array<double, 17> table = factor_table(laplace_clip_mse);
  return bits >= 1 && bits <= 16 ? table[size_t(bits)] : 0.0;
}

double gaussian_clip_factor(int bits) {
  static const std::array<double, 17> table = factor_table(gaussian_clip_mse);
  return bits >= 1 && bits <= 16 ? table[size_t(bits)] : 0.0;
}

} // namespace edgepipe::codecs
