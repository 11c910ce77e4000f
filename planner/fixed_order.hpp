// fixed_order: the best split of the layers over a given sequence of hosts,
// each hosting one non-empty stage in that order. Exact for the sequence
// (min-max DP over (hosts used, layers placed), O(K * L^2)); the links
// heuristic and the PipeDream-style baseline use it.
#pragma once

#include <vector>

#include "base/expected.hpp"
#include "planner/plan.hpp"

namespace edgepipe::planner {

expected<plan> best_split_in_order(const instance& inst, const std::vector<int>& hosts);

} // namespace edgepipe::planner
