// preprocessing: how raw 8-bit pixels become the model's float input, read
// from the model directory's preprocessor_config.json in Hugging Face's
// ViTImageProcessor form:
//   {"do_rescale": true, "rescale_factor": 0.00392156862745098,
//    "do_normalize": true, "image_mean": [0.286], "image_std": [0.353], ...}
//   x = ((pixel * rescale_factor) - mean[c]) / std[c]
// The training script writes this file, so `edgepipe eval` feeds the network
// exactly what it was trained on. Resizing is not done: images must already
// have the config's size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops {

struct image_preprocessing {
  // Hugging Face's ViTImageProcessor defaults (0.5 for every channel), used
  // when the file is absent.
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::vector<double> image_mean{0.5};
  std::vector<double> image_std{0.5};
};

// Reads DIR/preprocessor_config.json; the defaults above when it does not
// exist; an error naming the key when it is malformed.
expected<image_preprocessing> read_preprocessing(const std::string& model_dir);

// Pixels [N, C, H, W] (uint8, row-major) -> float [N, C, H, W]. mean/std of
// length 1 apply to every channel; otherwise their length must equal C.
expected<tensor> preprocess_images(const std::vector<uint8_t>& pixels,
                                   const std::vector<int64_t>& nchw,
                                   const image_preprocessing& prep);

} // namespace edgepipe::ops
