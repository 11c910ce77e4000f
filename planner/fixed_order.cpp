#include "planner/fixed_order.hpp"

#include <algorithm>
#include <limits>

#include "planner/cost_model.hpp"

namespace edgepipe::planner {

std::vector<stage> stages_from_splits(const std::vector<int>& hosts,
                                      const std::vector<std::vector<int>>& from, int stages_used,
                                      int layers) {
  std::vector<stage> stages(stages_used);
  for (int k = stages_used, j = layers; k >= 1; --k) {
    stages[k - 1].device = hosts[k - 1];
    stages[k - 1].first = from[k][j] + 1;
    stages[k - 1].last = j;
    j = from[k][j];
  }
  return stages;
}

expected<plan> best_split_in_order(const instance& inst, const std::vector<int>& hosts) {
  const int L = inst.layers, K = static_cast<int>(hosts.size());
  if (K == 0 || K > L) return make_error(errc::invalid_argument, "need 1..L hosts in order");
  const double never = std::numeric_limits<double>::infinity();
  // best[k][j]: first j layers on the first k hosts (all used); from[k][j]: split point.
  std::vector<std::vector<double>> best(K + 1, std::vector<double>(L + 1, never));
  std::vector<std::vector<int>> from(K + 1, std::vector<int>(L + 1, -1));
  best[0][0] = 0;
  for (int k = 1; k <= K; ++k) {
    int d = hosts[k - 1];
    for (int i = k - 1; i < L; ++i) {
      if (best[k - 1][i] == never) continue;
      double time = 0;
      for (int j = i + 1; j <= L; ++j) {
        time += inst.devices[d].time_s[j - 1];
        if (!fits(inst, d, i + 1, j)) continue;
        double send = k < K ? send_time(inst, j, d, hosts[k]) : 0;
        if (k == K && j != L) continue;
        double cost = std::max(best[k - 1][i], std::max(time, send));
        if (cost < best[k][j]) best[k][j] = cost, from[k][j] = i;
      }
    }
  }
  if (best[K][L] == never)
    return make_error(errc::infeasible, "the layers do not fit on this host sequence");
  return evaluate(inst, stages_from_splits(hosts, from, K, L));
}

} // namespace edgepipe::planner
