// clipping: the range [lo, hi] a block of values is quantized over, per
// method. `none` is the data's min/max; the others clip symmetrically around
// the mean, [mean - alpha, mean + alpha], and then intersect with [min, max]
// (the intersection never clips a value the symmetric range keeps, it only
// stops levels being spent where there is no data).
#pragma once

#include <cstddef>

#include "base/expected.hpp"
#include "codecs/codec.hpp"

namespace edgepipe::codecs {

struct clip_range {
  float lo = 0.0f;
  float hi = 0.0f;
};

// The clipping range of x[0..n) for `bits` in 1..16. Errors: NaN or Inf in x
// (invalid_input). An empty block gives [0, 0]; a constant one [c, c].
expected<clip_range> choose_clip_range(const float* x, size_t n, int bits, clip_method method);

// The symmetric range [mean - alpha, mean + alpha] intersected with [min, max].
clip_range symmetric_clip(float mean, double alpha, float min, float max);

} // namespace edgepipe::codecs
