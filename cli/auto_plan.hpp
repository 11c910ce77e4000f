// auto_plan: `partition: auto`. Builds a planner instance from what the
// nodes report (threads, memory) and the topology (link rates, bits), with
// per-layer compute times estimated from the model's FLOPs, and asks the
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

expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch);

} // namespace edgepipe::cli
