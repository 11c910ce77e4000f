// aciq: Banner et al.'s analytical clipping (ACIQ, "Post-training 4-bit
// quantization of convolutional networks for rapid-deployment", 2019). For a
// prior of unit scale, the expected squared error of clipping to [-a, a] and
// quantizing uniformly to 2^M levels is
//   Laplace(b = 1):  2 e^{-a}                                  + a^2 / (3 * 4^M)
//   Gaussian(s = 1): (1 + a^2) erfc(a/sqrt2) - a sqrt(2/pi) e^{-a^2/2} + a^2 / (3 * 4^M)
// (clipping noise of both tails + the uniform rounding noise of a step of
// 2a / 2^M). The clipping factor is the a that minimises it; we find it by
// golden-section search on the formula itself (both are unimodal in a), not
// from a table. For the Laplace prior the minimum solves a e^a = 3 * 4^M,
// i.e. a = W(3 * 4^M) (Lambert W): the tests check our search against that.
#pragma once

namespace edgepipe::codecs {

// Expected MSE (unit scale) of clipping at a and quantizing to `bits` bits.
double laplace_clip_mse(double a, int bits);
double gaussian_clip_mse(double a, int bits);

// The minimising a for bits in 1..16 (alpha = factor * b, or factor * sigma).
// Computed once per bitwidth, then cached.
double laplace_clip_factor(int bits);
double gaussian_clip_factor(int bits);

// Golden-section minimum of f on [lo, hi] (f unimodal there), to tolerance tol.
template <class F> double golden_section_min(F f, double lo, double hi, double tol) {
  const double inv_phi = 0.6180339887498949;
  double a = lo, b = hi;
  double c = b - inv_phi * (b - a), d = a + inv_phi * (b - a);
  double fc = f(c), fd = f(d);
  while (b - a > tol) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - inv_phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + inv_phi * (b - a);
      fd = f(d);
    }
  }
  return 0.5 * (a + b);
}

} // namespace edgepipe::codecs
