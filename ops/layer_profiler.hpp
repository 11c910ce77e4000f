// layer_profiler: seconds per planner layer on this machine, the one
// measurement behind `edgepipe profile` and a node's profile request.
//
// The model is never held whole: block by block, only that block's weights
// are loaded (a vit_model over its 4 layers), each layer is timed on the
// previous layer's real output, and the block is freed before the next one is
// loaded. So a board that can hold one stage can profile a model it could
// never hold.
//
// Two ways to time a layer, after one warm-up run:
// - median (sustain_s = 0): the median of `repeats` runs. Steady on a quiet
//   machine, but blind to sharing: a layer runs for 0.05-2 ms, less than a
//   scheduler time slice, so most runs see a core of their own even when
//   other processes want it, and the median drops the runs that did not.
// - sustained (sustain_s > 0): the layer runs back to back for at least
//   sustain_s (and `repeats` runs), and its time is the wall time over the
//   runs, a mean. Preemption by whatever else wants the cores is in it,
//   as it is in a stage that computes microbatch after microbatch. This is
//   what a stage sharing a machine with its neighbours gets.
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
  int repeats = 3; // timed runs per layer after one warm-up (at least)
  // > 0: sustained timing (see the top), seconds per layer; 0: the median of repeats.
  double sustain_s = 0;
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
