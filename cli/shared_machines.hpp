// shared_machines: what a plan loses when stage processes share a machine's
// cores. The planner's period gives every stage a device of its own; nodes
// of one machine (config node_spec::machine) compete for its cores instead.
// For `edgepipe run`'s plan report: the plan simulated both ways
// (planner::simulate, processor sharing), so a user sees before running
// that three stage processes on a 2-core board cannot all run at their
// profiled speed. The simulation leaves out messaging and codec CPU
// (bench/sim_vs_real.sh measures that overhead), so it is an upper bound.
#pragma once

#include <string>
#include <vector>

#include "planner/plan.hpp"

namespace edgepipe::cli {

struct machine_of_node {
  std::string machine; // config node_spec::machine
  int cores = 0;       // what the node reported (0: unknown, then 1 per thread wanted)
  int threads = 1;     // the node's compute threads
};

// Per node: how much slower it computes while every node of its machine is
// busy, max(1, the threads of the machine's nodes / its cores); 1 when the
// cores are unknown (0). Processor sharing, as the simulator models it.
std::vector<double> sharing_factors(const std::vector<machine_of_node>& nodes);

// inst with each device's layer times multiplied by its factor: what
// `partition: auto` plans on, so a node alone on its machine gets more
// layers than nodes that share one. An upper bound (a lightly loaded stage
// leaves its neighbours more); the plan is reported with the unscaled times
// and the lines below simulate the sharing.
planner::instance scaled_for_sharing(planner::instance inst, const std::vector<double>& factors);

// Empty when no machine runs two or more of the plan's stages; else one line
// per shared machine and one with the simulated images/s both ways. inst's
// times are a core per thread's (profiles are taken one node at a time).
std::vector<std::string> shared_machine_lines(const planner::instance& inst,
                                              const std::vector<planner::stage>& stages,
                                              const std::vector<machine_of_node>& nodes,
                                              int credits, int microbatch);

} // namespace edgepipe::cli
