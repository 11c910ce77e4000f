// auto_plan: `partition: auto`. Builds a planner instance from what the
// nodes report (threads, memory, measured per-layer times) and the topology
// (link rates, bits), and asks the
// planner library for the optimal partition. Falls back to an even split
// (and says so) when the planner finds no plan.
#pragma once

#include <string>
#include <vector>

#include "actors/pipeline.hpp"
#include "base/expected.hpp"
#include "cli/run_inputs.hpp"
#include "config/topology.hpp"
#include "ops/vit_config.hpp"

namespace edgepipe::cli {

struct auto_plan_result {
  std::vector<planned_stage> stages;
  std::string method; // e.g. "auto (count-dp, period 12.3 ms est.)" or "even (fallback: ...)"
};

// Floating-point operations per image of planner layer `layer` (1-based).
double layer_flops(const ops::vit_config& cfg, int layer);

// Float values per image leaving planner layer `layer` (main + skip).
int64_t layer_output_elements(const ops::vit_config& cfg, int layer);

// `layer_times[n]`: measured seconds per planner layer on node n for one
// microbatch (actors::profile_nodes); empty: estimated from FLOPs and threads.
expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch,
                                          const std::vector<std::vector<double>>& layer_times = {});

} // namespace edgepipe::cli
