// partition: the optimal pipeline partition. Minimises the period, the
// maximum over stages of max(compute, send to the next stage), such that every
// stage fits in its device's memory. Devices may stay unused, each hosts at
// most one stage, and the DP chooses which devices serve and in which order.
//
// The DP is PipeEdge's (state: layers placed, how many devices of each class
// are used, class of the next device), run over a sliding window of states
// and pruned by the best period found so far; the plan is then recovered by a
// depth-first search that only takes transitions within the optimal period.
// planner/README.md gives the recurrence, the complexity and measured times.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "planner/plan.hpp"
#include "planner/profiles.hpp"
#include "planner/stage_table.hpp"

namespace edgepipe::planner {

struct partition_options {
  // With links.yml every device is its own class (bitmask DP): exact up to
  // this many devices; beyond, the type-level heuristic (see README).
  int exact_links_limit = 12;
  // A period known to be achievable (e.g. a baseline's); prunes the search.
  double upper_bound = std::numeric_limits<double>::infinity();
  // Refuse exact DPs with more states than this ((L+1) * prod(count+1) * classes).
  int64_t max_states = int64_t(1) << 31;
};

struct partition_result {
  plan best;
  bool exact = true; // false: the links heuristic, an upper bound on the optimum
  // A proven lower bound on the optimal period (= best.period_s when exact);
  // best.period_s / lower_bound_s - 1 bounds the heuristic's gap.
  double lower_bound_s = 0;
  std::string method; // "count-dp", "bitmask-dp" or "type-heuristic"
};

expected<partition_result> optimal_partition(const instance& inst,
                                             const partition_options& options = {});

// The DP itself over a stage table; stages as (class, first, last).
struct class_stage {
  int cls = 0;
  int first = 1;
  int last = 1;
};
struct class_solution {
  double period_s = 0;
  std::vector<class_stage> stages;
};
expected<class_solution> solve_classes(const stage_table& table, double upper_bound,
                                       int64_t max_states);

// Why nothing fits: names the tightest device (the largest memory) and what it lacks.
error explain_infeasible(const instance& inst);

} // namespace edgepipe::planner
