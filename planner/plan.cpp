#include "planner/plan.hpp"

#include <algorithm>
#include <cstdio>

#include "planner/cost_model.hpp"

namespace edgepipe::planner {

expected<plan> evaluate(const instance& inst, const std::vector<stage>& stages) {
  if (stages.empty()) return make_error(errc::invalid_argument, "a plan needs at least one stage");
  std::vector<bool> used(inst.devices.size(), false);
  plan p;
  int next = 1;
  for (size_t k = 0; k < stages.size(); ++k) {
    stage s = stages[k];
    std::string where = "stage " + std::to_string(k + 1);
    if (s.device < 0 || s.device >= inst.num_devices())
      return make_error(errc::invalid_argument, where + ": no device " + std::to_string(s.device));
    if (used[s.device])
      return make_error(errc::invalid_argument,
                        where + ": device " + inst.devices[s.device].host + " hosts two stages");
    used[s.device] = true;
    if (s.first != next || s.last < s.first || s.last > inst.layers)
      return make_error(errc::invalid_argument, where + ": layers [" + std::to_string(s.first) +
                                                    ", " + std::to_string(s.last) +
                                                    "] do not continue at layer " +
                                                    std::to_string(next));
    next = s.last + 1;
    if (!fits(inst, s.device, s.first, s.last))
      return make_error(errc::infeasible, where + ": layers [" + std::to_string(s.first) + ", " +
                                              std::to_string(s.last) + "] do not fit in " +
                                              inst.devices[s.device].host + "'s memory");
    s.compute_s = compute_time(inst, s.device, s.first, s.last);
    s.send_s = k + 1 < stages.size() ? send_time(inst, s.last, s.device, stages[k + 1].device) : 0;
    s.memory_mb = memory_required_bytes(inst, s.first, s.last) / bytes_per_mb;
    p.period_s = std::max(p.period_s, std::max(s.compute_s, s.send_s));
    p.stages.push_back(s);
  }
  if (next != inst.layers + 1)
    return make_error(errc::invalid_argument, "the plan stops at layer " +
                                                  std::to_string(next - 1) + " of " +
                                                  std::to_string(inst.layers));
  return p;
}

std::string describe(const instance& inst, const plan& p) {
  std::string s;
  for (const auto& st : p.stages) {
    if (!s.empty()) s += ' ';
    s += inst.devices[st.device].host + "[" + std::to_string(st.first) + "-" +
         std::to_string(st.last) + "]";
  }
  return s;
}

} // namespace edgepipe::planner
