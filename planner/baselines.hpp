// baselines: the partitions EdgePipe compares against, evaluated under the
// true heterogeneous costs (evaluate() in plan.hpp).
//   even split:  equal layer counts over the given hosts, in order (the first
//                L mod N hosts take one layer more).
//   PipeDream-style: PipeDream's partitioner assumes every worker is like one
//                reference device; it minimises the slowest stage (compute or
//                send, at the reference's speed and bandwidth) over at most N
//                stages, ignoring per-device memory and speed; its stages then
//                go onto the hosts in order.
// Either may not fit in the real devices' memory: that is an infeasible error.
#pragma once

#include <vector>

#include "base/expected.hpp"
#include "planner/plan.hpp"

namespace edgepipe::planner {

expected<plan> even_split(const instance& inst, const std::vector<int>& hosts);

// `reference`: index of the device whose speed PipeDream assumes for all.
expected<plan> pipedream_split(const instance& inst, const std::vector<int>& hosts, int reference);

} // namespace edgepipe::planner
