// DS-ACIQ's directed search for the prior's scale (see ds_aciq.hpp, README).
#include "codecs/ds_aciq.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace edgepipe::codecs {
namespace {

// The histogram as densities: count / (n * bin width), so it is compared with
// the fitted density directly and values outside the range still count in n.
struct density_histogram {
  std::vector<double> density;
  double lo_rel = 0.0; // left edge of bin 0, relative to the mean
  double width = 0.0;
  double peak = 0.0; // the highest bin
};

density_histogram make_histogram(const float* x, size_t n, float mean, double b0) {
  density_histogram h;
  const double half = ds_aciq_range * b0;
  h.width = 2.0 * half / ds_aciq_bins;
  h.lo_rel = -half;
  std::vector<uint32_t> counts(ds_aciq_bins, 0);
  const double lo = double(mean) - half, inv_width = 1.0 / h.width;
  for (size_t i = 0; i < n; ++i) {
    double pos = (double(x[i]) - lo) * inv_width;
    if (pos >= 0.0 && pos < double(ds_aciq_bins)) ++counts[size_t(pos)];
  }
  h.density.resize(ds_aciq_bins);
  for (int i = 0; i < ds_aciq_bins; ++i) {
    h.density[size_t(i)] = counts[size_t(i)] / (double(n) * h.width);
    h.peak = std::max(h.peak, h.density[size_t(i)]);
  }
  return h;
}

// Cumulative distribution of the zero-centred prior with scale s.
double cdf(prior_family f, double t, double s) {
  if (f == prior_family::gaussian) return 0.5 * std::erfc(-t / (s * std::sqrt(2.0)));
  return t < 0 ? 0.5 * std::exp(t / s) : 1.0 - 0.5 * std::exp(-t / s);
}

// Mean squared difference between the histogram and the prior's probability
// of each bin divided by its width (the exact bin average of the density, so
// a narrow peak is not judged by one point sample).
double fit_error(const density_histogram& h, prior_family f, double s) {
  double err = 0.0;
  double left = cdf(f, h.lo_rel, s);
  for (int i = 0; i < ds_aciq_bins; ++i) {
    double right = cdf(f, h.lo_rel + (i + 1) * h.width, s);
    double d = h.density[size_t(i)] - (right - left) / h.width;
    err += d * d;
    left = right;
  }
  return err / ds_aciq_bins;
}

// The prior's average density over the bin holding the centre: its peak as
// the histogram sees it.
double fitted_peak(const density_histogram& h, prior_family f, double s) {
  double i = std::floor(-h.lo_rel / h.width);
  return (cdf(f, h.lo_rel + (i + 1) * h.width, s) - cdf(f, h.lo_rel + i * h.width, s)) / h.width;
}

// From s0, step the scale in the direction the peaks disagree while the fit
// improves; stop at the first step that does not (the first local minimum).
ds_aciq_fit directed_search(const density_histogram& h, prior_family f, double s0) {
  ds_aciq_fit fit;
  fit.family = f;
  fit.scale0 = fit.scale = s0;
  // A histogram peak above the fitted one: the data are more concentrated than
  // the prior with s0 says, so the matching scale is smaller.
  fit.direction = h.peak > fitted_peak(h, f, s0) ? -1 : +1;
  const double step = fit.direction < 0 ? 1.0 / ds_aciq_step : ds_aciq_step;
  fit.fit_error0 = fit.fit_error = fit_error(h, f, s0);
  double s = s0;
  for (int k = 0; k < ds_aciq_max_steps; ++k) {
    double next = s * step;
    double err = fit_error(h, f, next);
    if (!(err < fit.fit_error)) break;
    s = next;
    fit.fit_error = err;
    fit.steps = k + 1;
  }
  fit.scale = s;
  return fit;
}

} // namespace

ds_aciq_fit ds_aciq_search(const float* x, size_t n, float mean, double b0, double sigma0,
                           bool laplace_only) {
  ds_aciq_fit fit;
  fit.scale0 = fit.scale = b0;
  if (n == 0 || !(b0 > 0.0)) return fit;
  density_histogram h = make_histogram(x, n, mean, b0);
  bool flatter_than_laplace = !(h.peak > fitted_peak(h, prior_family::laplace, b0));
  if (laplace_only || !flatter_than_laplace || !(sigma0 > 0.0))
    return directed_search(h, prior_family::laplace, b0);
  return directed_search(h, prior_family::gaussian, sigma0);
}

} // namespace edgepipe::codecs
