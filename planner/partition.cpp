#include "planner/partition.hpp"

#include <algorithm>
#include <cstdio>

#include "planner/cost_model.hpp"
#include "planner/fixed_order.hpp"

namespace edgepipe::planner {

namespace {

// Class stages -> host stages: the k-th use of a class takes its k-th member,
// in devices-file order (PipeEdge's schedule_types_to_hosts).
std::vector<stage> to_hosts(const stage_table& t, const class_solution& sol) {
  std::vector<int> next(t.classes(), 0);
  std::vector<stage> stages;
  for (const auto& cs : sol.stages) {
    stage s;
    s.device = t.members(cs.cls)[next[cs.cls]++];
    s.first = cs.first;
    s.last = cs.last;
    stages.push_back(s);
  }
  return stages;
}

// The links heuristic: plan on device types with each type pair's links
// summarised (slowest, mean, fastest), give each stage the free host of its
// type with the fastest link from the previous stage's host, re-split the
// layers exactly over that host sequence, and keep the best of the three.
// The DP with the fastest summary relaxes the problem: its period is a lower
// bound on the true optimum.
std::vector<int> assign_hosts(const instance& inst, const stage_table& t,
                              const class_solution& sol) {
  std::vector<bool> taken(inst.devices.size(), false);
  std::vector<int> hosts;
  for (const auto& cs : sol.stages) {
    int pick = -1;
    double pick_bw = -1;
    for (int d : t.members(cs.cls)) {
      if (taken[d]) continue;
      double bw = hosts.empty() ? 0.0 : link_mbps(inst, hosts.back(), d);
      if (pick < 0 || bw > pick_bw) pick = d, pick_bw = bw;
    }
    taken[pick] = true;
    hosts.push_back(pick);
  }
  return hosts;
}

expected<partition_result> type_heuristic(const instance& inst, const partition_options& o) {
  partition_result best;
  bool found = false;
  error last{errc::infeasible, "no partition fits"};
  for (link_summary s : {link_summary::slowest, link_summary::mean, link_summary::fastest}) {
    stage_table t = stage_table::by_type(inst, s);
    auto sol = solve_classes(t, o.upper_bound, o.max_states);
    if (!sol) {
      last = sol.error();
      if (s == link_summary::fastest && sol.error().code == errc::infeasible)
        return sol.error(); // the relaxation has no plan: nothing has
      continue;
    }
    if (s == link_summary::fastest) best.lower_bound_s = sol->period_s;
    auto split = best_split_in_order(inst, assign_hosts(inst, t, *sol));
    if (split && (!found || split->period_s < best.best.period_s)) {
      best.best = *split;
      found = true;
    }
  }
  if (!found) return last;
  best.exact = false;
  best.method = "type-heuristic";
  return best;
}

} // namespace

expected<partition_result> optimal_partition(const instance& inst,
                                             const partition_options& options) {
  if (inst.devices.empty()) return make_error(errc::invalid_argument, "no devices to plan for");
  partition_result result;
  stage_table table;
  if (!inst.has_links()) {
    table = stage_table::by_type(inst);
    result.method = "count-dp";
  } else if (inst.num_devices() <= options.exact_links_limit) {
    table = stage_table::by_device(inst);
    result.method = "bitmask-dp";
  } else {
    auto h = type_heuristic(inst, options);
    if (!h && h.error().code == errc::infeasible) return explain_infeasible(inst);
    return h;
  }
  auto sol = solve_classes(table, options.upper_bound, options.max_states);
  if (!sol) {
    if (sol.error().code == errc::infeasible) return explain_infeasible(inst);
    return sol.error();
  }
  auto p = evaluate(inst, to_hosts(table, *sol));
  if (!p)
    return make_error(errc::internal, "the DP's plan does not evaluate: " + p.error().message);
  if (p->period_s != sol->period_s)
    return make_error(errc::internal, "the DP's period differs from the plan's evaluation");
  result.best = std::move(*p);
  result.lower_bound_s = result.best.period_s;
  return result;
}

error explain_infeasible(const instance& inst) {
  int roomiest = 0;
  for (int d = 1; d < inst.num_devices(); ++d)
    if (inst.devices[d].mem_mb > inst.devices[roomiest].mem_mb) roomiest = d;
  const device& dev = inst.devices[roomiest];
  char buf[512];
  for (int l = 1; l <= inst.layers; ++l) {
    if (fits(inst, roomiest, l, l)) continue;
    std::snprintf(buf, sizeof buf,
                  "no plan fits: layer %d alone needs %.1f MB (weights + buffers) but the "
                  "tightest device, %s (%s, the largest memory), has %.1f MB",
                  l, memory_required_bytes(inst, l, l) / bytes_per_mb, dev.host.c_str(),
                  dev.type.c_str(), dev.mem_mb);
    return make_error(errc::infeasible, buf);
  }
  double total = 0, need = 0;
  for (const auto& d : inst.devices) total += d.mem_mb;
  for (double m : inst.mem_mb) need += m;
  std::snprintf(buf, sizeof buf,
                "no plan fits: the %d devices together have %.1f MB for %.1f MB of weights plus "
                "buffers; the tightest device, %s (%s, the largest memory, %.1f MB), cannot "
                "take more layers",
                inst.num_devices(), total, need, dev.host.c_str(), dev.type.c_str(), dev.mem_mb);
  return make_error(errc::infeasible, buf);
}

} // namespace edgepipe::planner
