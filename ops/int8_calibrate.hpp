// int8_calibrate: runs an f32 model on calibration images and turns what its
// int8 sites saw into an int8_calibration (int8_calibration.hpp).
#pragma once

#include <string>

#include "ops/int8_calibration.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::ops {

// `model` must be f32 and hold layers 1..L' (the blocks it reaches get
// ranges; the others keep a range of 1). images [N, C, H, W] run in
// microbatches of `batch`. method: "percentile" (of |x|) or "max".
expected<int8_calibration> calibrate_int8(vit_model& model, const tensor& images, int64_t batch,
                                          const std::string& source,
                                          const std::string& method = "percentile",
                                          double percentile = 99.99);

// n seeded images shaped for the config, values in about [-1, 1] like
// normalized pixels (smooth patterns plus noise): for synthetic models.
tensor synthetic_images(const vit_config& cfg, int64_t n, uint64_t seed);

} // namespace edgepipe::ops
