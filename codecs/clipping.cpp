// Clipping range per method (see clipping.hpp and README.md).
#include "codecs/clipping.hpp"

#include <algorithm>
#include <cmath>

#include "codecs/aciq.hpp"
#include "codecs/ds_aciq.hpp"
#include "codecs/kernels.hpp"

namespace edgepipe::codecs {
namespace {

struct block_stats {
  float min, max, mean;
};

uint32_t max_code_of(int bits) {
  return (1u << bits) - 1u;
}

// The real quantization error of x over the symmetric range with this alpha.
double quantization_error(const float* x, size_t n, const block_stats& s, double alpha, int bits) {
  clip_range r = symmetric_clip(s.mean, alpha, s.min, s.max);
  float scale = quant_step(r.lo, r.hi, max_code_of(bits));
  float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  return kernels().quant_sq_error(x, n, r.lo, r.hi, scale, inv, max_code_of(bits));
}

// mse: a grid over alpha in (0, alpha_max] to find the basin (the error is
// jagged at low bitwidths, so golden section alone could stop in a shoulder),
// then golden section between the grid neighbours of the best point.
double mse_alpha(const float* x, size_t n, const block_stats& s, int bits) {
  const int grid = 32;
  double alpha_max = std::max(double(s.max) - s.mean, double(s.mean) - s.min);
  if (!(alpha_max > 0.0)) return 0.0;
  int best = grid;
  double best_err = quantization_error(x, n, s, alpha_max, bits);
  for (int k = 1; k < grid; ++k) {
    double err = quantization_error(x, n, s, alpha_max * k / grid, bits);
    if (err < best_err) best_err = err, best = k;
  }
  double lo = alpha_max * (best - 1) / grid, hi = alpha_max * std::min(best + 1, grid) / grid;
  auto err_at = [&](double a) { return quantization_error(x, n, s, a, bits); };
  double refined = golden_section_min(err_at, lo, hi, (hi - lo) * 1e-3);
  double alpha_best = alpha_max * best / grid;
  return err_at(refined) < best_err ? refined : alpha_best;
}

} // namespace

clip_range symmetric_clip(float mean, double alpha, float min, float max) {
  float m = std::min(std::max(mean, min), max); // a rounded mean may sit just outside
  clip_range r;
  r.lo = float(std::max(double(min), double(m) - alpha));
  r.hi = float(std::min(double(max), double(m) + alpha));
  return r;
}

expected<clip_range> choose_clip_range(const float* x, size_t n, int bits, clip_method method) {
  if (bits < 1 || bits > 16)
    return make_error(errc::invalid_argument, "bits " + std::to_string(bits) + " is outside 1..16");
  if (n == 0) return clip_range{};
  const kernel_table& k = kernels();
  range_scan scan = k.scan(x, n);
  if (!scan.finite)
    return make_error(errc::invalid_input,
                      "tensor holds NaN or Inf; quantized frames carry finite values only "
                      "(send with bits = 0 to pass them through)");
  block_stats s{scan.min, scan.max, float(scan.sum / double(n))};
  if (method == clip_method::none || scan.min == scan.max) return clip_range{scan.min, scan.max};

  double abs_sum = 0.0, sq_sum = 0.0;
  if (method != clip_method::mse) k.deviations(x, n, s.mean, &abs_sum, &sq_sum);
  double b0 = abs_sum / double(n);              // Laplace scale: mean absolute deviation
  double sigma = std::sqrt(sq_sum / double(n)); // Gaussian scale
  double alpha = 0.0;
  switch (method) {
  case clip_method::none:
    break;
  case clip_method::aciq:
    alpha = laplace_clip_factor(bits) * b0;
    break;
  case clip_method::aciq_gauss:
    alpha = gaussian_clip_factor(bits) * sigma;
    break;
  case clip_method::ds_aciq:
  case clip_method::ds_aciq_laplace: {
    bool laplace_only = method == clip_method::ds_aciq_laplace;
    ds_aciq_fit fit = ds_aciq_search(x, n, s.mean, b0, sigma, laplace_only);
    double factor = fit.family == prior_family::gaussian ? gaussian_clip_factor(bits)
                                                         : laplace_clip_factor(bits);
    alpha = factor * fit.scale;
    break;
  }
  case clip_method::mse:
    alpha = mse_alpha(x, n, s, bits);
    break;
  }
  return symmetric_clip(s.mean, alpha, s.min, s.max);
}

} // namespace edgepipe::codecs
