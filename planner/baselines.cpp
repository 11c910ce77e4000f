#include "planner/baselines.hpp"

#include <algorithm>
#include <limits>

#include "planner/cost_model.hpp"
#include "planner/fixed_order.hpp"

namespace edgepipe::planner {

expected<plan> even_split(const instance& inst, const std::vector<int>& hosts) {
  const int L = inst.layers;
  const int n = std::min<int>(static_cast<int>(hosts.size()), L);
  if (n == 0) return make_error(errc::invalid_argument, "even split needs at least one host");
  std::vector<stage> stages;
  int first = 1;
  for (int k = 0; k < n; ++k) {
    int count = L / n + (k < L % n ? 1 : 0);
    stage s;
    s.device = hosts[k];
    s.first = first;
    s.last = first + count - 1;
    first = s.last + 1;
    stages.push_back(s);
  }
  return evaluate(inst, stages);
}

expected<plan> pipedream_split(const instance& inst, const std::vector<int>& hosts, int reference) {
  const int L = inst.layers;
  const int n = std::min<int>(static_cast<int>(hosts.size()), L);
  if (n == 0) return make_error(errc::invalid_argument, "PipeDream split needs a host");
  const auto& t = inst.devices[reference].time_s;
  const double never = std::numeric_limits<double>::infinity();
  // A link between two reference devices: the reference's own bandwidth.
  auto ref_send = [&](int layer) {
    double bytes_per_s = inst.devices[reference].bw_mbps * bits_per_mbit / 8;
    return static_cast<double>(tensor_bytes(inst, elements_out(inst, layer))) / bytes_per_s;
  };
  // best[k][j]: first j layers in k stages of reference devices.
  std::vector<std::vector<double>> best(n + 1, std::vector<double>(L + 1, never));
  std::vector<std::vector<int>> from(n + 1, std::vector<int>(L + 1, -1));
  best[0][0] = 0;
  for (int k = 1; k <= n; ++k)
    for (int i = k - 1; i < L; ++i) {
      if (best[k - 1][i] == never) continue;
      double time = 0;
      for (int j = i + 1; j <= L; ++j) {
        time += t[j - 1];
        double cost = std::max(best[k - 1][i], std::max(time, j < L ? ref_send(j) : 0.0));
        if (cost < best[k][j]) best[k][j] = cost, from[k][j] = i;
      }
    }
  int stages_used = 1;
  for (int k = 2; k <= n; ++k)
    if (best[k][L] < best[stages_used][L]) stages_used = k;
  return evaluate(inst, stages_from_splits(hosts, from, stages_used, L));
}

} // namespace edgepipe::planner
