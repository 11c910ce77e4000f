// model_input: what a model's layer `first` takes (activation.hpp), checked on
// shapes alone, so a caller can refuse an input before anything is sized from
// it: a pipeline stage checks the frame headers it receives before decoding
// them, and model::forward checks before it makes a plan for a new batch size.
#pragma once

#include <cstdint>
#include <vector>

#include "base/expected.hpp"
#include "ops/model_config.hpp"

namespace edgepipe::ops {

// The shapes of an activation's tensors; an empty shape = the tensor is absent.
struct input_shapes {
  std::vector<int64_t> main, skip, mask;
};

// Every present tensor's shape must be what layer `first` takes for some
// batch B in 1..max_batch (and, for BERT, a sequence length S in
// 1..max_position_embeddings); absent tensors must be allowed to be absent.
// Errors name the layer, the tensor and both shapes.
expected<void> check_input_shapes(const model_config& cfg, int first, int64_t max_batch,
                                  const input_shapes& in);

} // namespace edgepipe::ops
