// ds_aciq: QuantPipe's directed-search ACIQ (Wang et al., ICASSP 2023). ACIQ
// fits a Laplace scale b from the mean absolute deviation; transformer
// activations are sharper near the centre than that Laplace (a few large
// values inflate the deviation), so DS-ACIQ corrects b by comparing the fitted
// density with the tensor's histogram. The exact algorithm, its constants and
// why are in codecs/README.md ("DS-ACIQ").
#pragma once

#include <cstddef>

namespace edgepipe::codecs {

struct ds_aciq_fit {
  double b0 = 0.0;       // the analytical estimate, mean |x - mean|
  double b = 0.0;        // the scale the search settled on
  int direction = 0;     // -1: searched smaller b (histogram peak higher), +1: larger
  int steps = 0;         // accepted steps
  double fit_error0 = 0; // histogram-vs-density MSE at b0
  double fit_error = 0;  // ... at b
};

// Histogram constants (see README): bins over [mean - range*b0, mean + range*b0].
constexpr int ds_aciq_bins = 512;
constexpr double ds_aciq_range = 12.0;
constexpr double ds_aciq_step = 1.02;  // multiplicative step of b
constexpr int ds_aciq_max_steps = 140; // 1.02^140 = 16: b within [b0/16, 16*b0]

// Fits the Laplace scale of x[0..n) around `mean`, starting from b0 > 0.
ds_aciq_fit ds_aciq_laplace_fit(const float* x, size_t n, float mean, double b0);

} // namespace edgepipe::codecs
