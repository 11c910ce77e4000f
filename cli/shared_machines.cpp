#include "cli/shared_machines.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "planner/plan.hpp"
#include "planner/simulator.hpp"

namespace edgepipe::cli {

std::vector<double> sharing_factors(const std::vector<machine_of_node>& nodes) {
  std::map<std::string, int> threads;
  std::map<std::string, int> cores;
  for (const auto& n : nodes) {
    threads[n.machine] += std::max(1, n.threads);
    cores[n.machine] = std::max(cores[n.machine], n.cores);
  }
  std::vector<double> out;
  for (const auto& n : nodes) {
    const int c = cores[n.machine];
    out.push_back(c > 0 ? std::max(1.0, double(threads[n.machine]) / c) : 1.0);
  }
  return out;
}

planner::instance scaled_for_sharing(planner::instance inst, const std::vector<double>& factors) {
  for (size_t d = 0; d < inst.devices.size() && d < factors.size(); ++d)
    for (double& t : inst.devices[d].time_s) t *= factors[d];
  return inst;
}

std::vector<std::string> shared_machine_lines(const planner::instance& inst,
                                              const std::vector<planner::stage>& stages,
                                              const std::vector<machine_of_node>& nodes,
                                              int credits, int microbatch) {
  std::vector<std::string> out;
  // Stages per machine, in plan order.
  std::map<std::string, std::vector<int>> stages_of;
  for (size_t k = 0; k < stages.size(); ++k)
    stages_of[nodes.at(static_cast<size_t>(stages[k].device)).machine].push_back(int(k));
  bool shared = false;
  for (const auto& [machine, list] : stages_of) shared = shared || list.size() > 1;
  if (!shared) return out;

  auto plan = planner::evaluate(inst, stages);
  if (!plan) return out; // explain_plan reports why
  constexpr int microbatches = 256;
  planner::sim_config cfg = planner::sim_config_for(inst, *plan, credits, microbatches);
  cfg.handoff = 2; // what edgepipe's actors hold beyond the credits (simulator.hpp)
  auto own = planner::simulate(cfg);
  std::map<std::string, int> index;
  for (const auto& st : stages) {
    const machine_of_node& n = nodes.at(static_cast<size_t>(st.device));
    cfg.threads.push_back(std::max(1, n.threads));
    auto [it, added] = index.emplace(n.machine, int(cfg.machine_cores.size()));
    if (added) cfg.machine_cores.push_back(0);
    // Unknown cores: as many as the stages want (no sharing assumed).
    double& cores = cfg.machine_cores[it->second];
    cores = std::max(cores, double(n.cores > 0 ? n.cores : std::max(1, n.threads)));
    cfg.machine.push_back(it->second);
  }
  auto together = planner::simulate(cfg);
  if (!own || !together) return out;

  for (const auto& [machine, list] : stages_of) {
    if (list.size() < 2) continue;
    int threads = 0;
    std::string names;
    for (int k : list) {
      threads += cfg.threads[k];
      names += (names.empty() ? "" : ", ") + std::to_string(k);
    }
    char line[256];
    std::snprintf(line, sizeof line, "machine %s (%g cores): stages %s share it (%d threads)",
                  machine.c_str(), cfg.machine_cores[index[machine]], names.c_str(), threads);
    out.push_back(line);
  }
  char line[256];
  auto rate = [&](const planner::sim_result& r) {
    return microbatches * microbatch / r.makespan_s;
  };
  std::snprintf(line, sizeof line,
                "simulated: %.0f images/s with the shared cores, %.0f with a core per thread "
                "(messaging and codecs not counted)",
                rate(*together), rate(*own));
  out.push_back(line);
  return out;
}

} // namespace edgepipe::cli
