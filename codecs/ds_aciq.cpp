// DS-ACIQ's directed search for the Laplace scale (see ds_aciq.hpp, README).
#include "codecs/ds_aciq.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace edgepipe::codecs {
namespace {

// The histogram as densities: count / (n * bin width), so it is compared with
// the Laplace density directly and values outside the range still count in n.
std::vector<double> density_histogram(const float* x, size_t n, double lo, double width) {
  std::vector<uint32_t> counts(ds_aciq_bins, 0);
  const double inv_width = 1.0 / width;
  for (size_t i = 0; i < n; ++i) {
    double pos = (double(x[i]) - lo) * inv_width;
    if (pos >= 0.0 && pos < double(ds_aciq_bins)) ++counts[size_t(pos)];
  }
  std::vector<double> density(ds_aciq_bins);
  for (int i = 0; i < ds_aciq_bins; ++i)
    density[size_t(i)] = counts[size_t(i)] / (double(n) * width);
  return density;
}

// Laplace(0, b) cumulative distribution.
double laplace_cdf(double t, double b) {
  return t < 0 ? 0.5 * std::exp(t / b) : 1.0 - 0.5 * std::exp(-t / b);
}

// Mean squared difference between the histogram and the Laplace(mean, b)
// probability of each bin divided by its width (the exact bin average of the
// density, so narrow peaks are not judged by one point sample).
double fit_error(const std::vector<double>& density, double lo_rel, double width, double b) {
  double err = 0.0;
  double left = laplace_cdf(lo_rel, b);
  for (int i = 0; i < ds_aciq_bins; ++i) {
    double right = laplace_cdf(lo_rel + (i + 1) * width, b);
    double d = density[size_t(i)] - (right - left) / width;
    err += d * d;
    left = right;
  }
  return err / ds_aciq_bins;
}

double laplace_peak(double lo_rel, double width, double b) {
  // The bin holding the centre: its average density.
  double i = std::floor(-lo_rel / width);
  return (laplace_cdf(lo_rel + (i + 1) * width, b) - laplace_cdf(lo_rel + i * width, b)) / width;
}

} // namespace

ds_aciq_fit ds_aciq_laplace_fit(const float* x, size_t n, float mean, double b0) {
  ds_aciq_fit fit;
  fit.b0 = fit.b = b0;
  if (n == 0 || !(b0 > 0.0)) return fit;

  const double half = ds_aciq_range * b0;
  const double width = 2.0 * half / ds_aciq_bins;
  const double lo_rel = -half; // bin edges relative to the mean
  std::vector<double> density = density_histogram(x, n, double(mean) - half, width);

  // Direction: a histogram peak above the fitted one means the data are more
  // concentrated than Laplace(b0) says, so the matching b is smaller.
  double peak = 0.0;
  for (double d : density) peak = d > peak ? d : peak;
  fit.direction = peak > laplace_peak(lo_rel, width, b0) ? -1 : +1;
  const double step = fit.direction < 0 ? 1.0 / ds_aciq_step : ds_aciq_step;

  // Walk b in that direction while the fit improves; stop at the first step
  // that makes it worse (the first local minimum).
  fit.fit_error0 = fit.fit_error = fit_error(density, lo_rel, width, b0);
  double b = b0;
  for (int k = 0; k < ds_aciq_max_steps; ++k) {
    double next = b * step;
    double err = fit_error(density, lo_rel, width, next);
    if (!(err < fit.fit_error)) break;
    b = next;
    fit.fit_error = err;
    fit.steps = k + 1;
  }
  fit.b = b;
  return fit;
}

} // namespace edgepipe::codecs
