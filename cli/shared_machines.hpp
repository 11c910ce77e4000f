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

// Empty when no machine runs two or more of the plan's stages; else one line
// per shared machine and one with the simulated images/s both ways. inst's
// times are a core per thread's (profiles are taken one node at a time).
std::vector<std::string> shared_machine_lines(const planner::instance& inst,
                                              const std::vector<planner::stage>& stages,
                                              const std::vector<machine_of_node>& nodes,
                                              int credits, int microbatch);

} // namespace edgepipe::cli
