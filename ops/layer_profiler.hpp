// layer_profiler: seconds per planner layer on this machine, the one
// measurement behind `edgepipe profile` and a node's profile request.
//
// The model is never held whole: block by block, only that block's weights
// are loaded (a vit_model over its 4 layers), each layer is timed on the
// previous layer's real output (one warm-up, then the median of `repeats`
// runs), and the block is freed before the next one is loaded. So a board
// that can hold one stage can profile a model it could never hold.
//
// Transformer blocks are identical in shape, so with measured_blocks = N
// (2 <= N < blocks - 1) only blocks 1..N and the last block (with the head,
// run on block N's output, which has the same shape) are timed; blocks in
// between get block N's times. Block 1 is never the template because its
// first layer also embeds the images.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/dtype.hpp"
#include "ops/vit_config.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::ops {

// Where a model's weights come from: a directory (config.json +
// model.safetensors) or seeded synthetic weights for a configuration.
struct model_source {
  std::string dir;   // empty: synthetic
  vit_config config; // read from dir/config.json for a directory
  uint64_t seed = 0;

  static expected<model_source> from_dir(const std::string& dir);
  static model_source synthetic(const vit_config& cfg, uint64_t seed);
  // The model of the range opts.first..opts.last.
  expected<vit_model> load(const model_options& opts) const;
};

struct profile_options {
  int microbatch = 8;
  int repeats = 3; // timed runs per layer after one warm-up; the median is kept
  int threads = 1;
  dtype compute = dtype::f32;
  int measured_blocks = 0; // 0: every block; else see above
  // Called after each timed layer (layer, seconds); may be empty.
  std::function<void(int, double)> progress;
};

struct layer_profile {
  std::vector<double> time_s;           // per planner layer, one microbatch
  std::vector<int64_t> output_elements; // per sample leaving each layer (main + skip), measured
  std::vector<bool> measured;           // false: copied from a measured block
  int64_t largest_weight_bytes = 0;     // the most weights held at once
};

// Seconds per layer at the given microbatch; errors from loading or running a block.
expected<layer_profile> profile_layers(const model_source& source, const profile_options& opts);

// The blocks profile_layers times for a model of `blocks` blocks (0-based, ascending).
std::vector<int> profiled_blocks(int blocks, int measured_blocks);

} // namespace edgepipe::ops
