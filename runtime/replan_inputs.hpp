// replan_inputs: everything the re-planner is told about a running pipeline
// at one moment: the plan in force, what was profiled before the run, what
// the run has measured since, and what the topology configured.
//
// Plain vectors, so that the caller (the planner actor) fills them from
// whatever it holds; node indices are the topology's node order, layers are
// planner layers 1..L (index l - 1 in the per-layer vectors), rates are
// Mbit/s = 10^6 bit/s, times are seconds per microbatch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/plan.hpp"

namespace edgepipe::runtime {

// One node of the topology, alive or not.
struct node_state {
  std::string name;                     // for reasons and errors ("camera-7")
  std::vector<double> baseline_layer_s; // per planner layer, seconds per microbatch, from
                                        // profiling; may be empty for a dead node
  double memory_mb = 0;                 // memory limit, MB (2^20 bytes); <= 0: unlimited
  bool alive = true;                    // false: lost, never a candidate
};

// What the bandwidth monitor knows about one link.
struct measured_link {
  bool known = false;       // false: never measured (the configured rate applies)
  double mbps = 0;          // the smoothed estimate, 10^6 bit/s
  bool lower_bound = false; // the link was never saturated: it is at least this fast
};

struct replan_inputs {
  plan current; // the plan in force (bits.size() == stages.size())

  // Per node, in topology order (indices of stage_assignment::node).
  std::vector<node_state> nodes;

  // The model, per planner layer 1..L.
  std::vector<double> layer_weights_mb;       // weights, MB (2^20 bytes)
  std::vector<int64_t> layer_output_elements; // elements per sample leaving the layer
  int64_t input_elements = 0;                 // elements per sample entering layer 1
  int microbatch = 1;                         // samples per microbatch

  // MEASURED, for the current plan:
  // per stage, compute seconds per microbatch (<= 0: no measurement yet);
  std::vector<double> stage_compute_s;
  // per link leaving stage i (size stages - 1, or stages: the sink link is ignored);
  std::vector<measured_link> stage_links;
  // optionally per ordered node pair (from * n + to), e.g. probes between
  // nodes the plan does not connect; empty when there are none.
  std::vector<measured_link> pair_links;

  // CONFIGURED, per ordered node pair (from * n + to):
  std::vector<double> configured_mbps; // assumed rate when never measured; infinity = unlimited
  std::vector<int> min_bits;           // lowest bitwidth allowed on the pair, 1..16, or 0 =
  std::vector<int> max_bits;           //   float32 only (then max_bits is 0 too)

  int64_t now_ns = 0; // monotonic clock
};

} // namespace edgepipe::runtime
