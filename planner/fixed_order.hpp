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

// The stages a (stages, layers placed) DP chose: from[k][j] is the number of
// layers before the k-th stage when the first j layers fill k stages.
std::vector<stage> stages_from_splits(const std::vector<int>& hosts,
                                      const std::vector<std::vector<int>>& from, int stages_used,
                                      int layers);

} // namespace edgepipe::planner
