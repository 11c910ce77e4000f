// auto_plan: `partition: auto`. Builds the planner instance from what the
// nodes report (threads, memory, measured per-layer times) and the topology
// (link rates, bits) with cli/auto_instance.hpp, and asks the planner library
// for the optimal partition. When no plan fits, that is an error saying by
// how much (never a silent even split).
#pragma once

#include <string>
#include <vector>

#include "actors/pipeline.hpp"
#include "base/expected.hpp"
#include "cli/run_inputs.hpp"
#include "cli/shared_machines.hpp"
#include "config/topology.hpp"
#include "ops/vit_config.hpp"
#include "planner/plan.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::cli {

struct auto_plan_result {
  std::vector<planned_stage> stages;
  std::string method;         // e.g. "auto (count-dp, measured layer times, est. period 12.3 ms)"
  planner::instance instance; // what the plan was made from (for cli/plan_report.hpp)
  planner::plan plan;         // the planner's plan: per stage compute, send, memory
};

// Each node's machine (the topology's), the cores it reported, and the
// threads its stages run with (the topology's `threads`, which `edgepipe run`
// deploys): what cli/shared_machines.hpp models.
std::vector<machine_of_node> machines_of(const config::topology& topo,
                                         const std::vector<actors::connected_node>& nodes);

// `layer_times[n]`: measured seconds per planner layer on node n for one
// microbatch (actors::profile_nodes); empty: estimated from FLOPs and threads.
// Errors: errc::infeasible when no plan fits (cli/auto_instance.hpp's message).
expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch,
                                          const std::vector<std::vector<double>>& layer_times = {});

} // namespace edgepipe::cli
