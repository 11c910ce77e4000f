// ds_aciq: QuantPipe's directed-search ACIQ (Wang et al., ICASSP 2023). ACIQ
// fits a Laplace scale b from the mean absolute deviation; transformer
// activations are often sharper near the centre than that Laplace (a few large
// values inflate the deviation), so DS-ACIQ corrects the scale by comparing
// the fitted density with the tensor's histogram: it searches in the
// direction in which the histogram's peak disagrees with the fitted one and
// keeps the scale whose density is closest to the histogram.
//
// Two variants (README "DS-ACIQ" has the exact algorithm, constants and why):
//  - laplace_only: the paper's form, the Laplace family in both directions.
//  - refined (clip_method::ds_aciq): when the histogram's peak is LOWER than
//    the Laplace fit's, the data are flatter than any Laplace with that
//    deviation; widening b (the paper's move) then widens the clip, the wrong
//    way. The refined form searches the Gaussian family instead (ACIQ's other
//    prior) and clips with the Gaussian factor.
#pragma once

#include <cstddef>

namespace edgepipe::codecs {

enum class prior_family { laplace, gaussian };

struct ds_aciq_fit {
  prior_family family = prior_family::laplace;
  double scale0 = 0.0;   // the analytical start: b0 = mean |x - mean|, or sigma0 = std
  double scale = 0.0;    // the scale the search settled on (b or sigma)
  int direction = 0;     // -1: searched a smaller scale (histogram peak higher), +1: larger
  int steps = 0;         // accepted steps
  double fit_error0 = 0; // histogram-vs-density mean squared difference at scale0
  double fit_error = 0;  // ... at scale
};

// Histogram constants (see README): bins over [mean - range*b0, mean + range*b0].
constexpr int ds_aciq_bins = 512;
constexpr double ds_aciq_range = 12.0;
constexpr double ds_aciq_step = 1.02;  // multiplicative step of the scale
constexpr int ds_aciq_max_steps = 140; // 1.02^140 = 16: scale within [s0/16, 16*s0]

// Fits x[0..n) around `mean`, starting from b0 = mean |x - mean| > 0 and
// sigma0 = standard deviation. laplace_only: the paper's search; otherwise
// the refined one (Gaussian family when the data are flatter than Laplace(b0)).
ds_aciq_fit ds_aciq_search(const float* x, size_t n, float mean, double b0, double sigma0,
                           bool laplace_only);

} // namespace edgepipe::codecs
