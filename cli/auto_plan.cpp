#include "cli/auto_plan.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/auto_instance.hpp"
#include "ops/layer_descriptor.hpp"
#include "planner/partition.hpp"
#include "planner/plan.hpp"

namespace edgepipe::cli {

std::vector<machine_of_node> machines_of(const config::topology& topo,
                                         const std::vector<actors::connected_node>& nodes) {
  std::vector<machine_of_node> out;
  for (size_t i = 0; i < nodes.size() && i < topo.nodes.size(); ++i)
    out.push_back({topo.nodes[i].machine, nodes[i].info.cores, topo.nodes[i].threads});
  return out;
}

expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch,
                                          const std::vector<std::vector<double>>& layer_times) {
  const ops::model_descriptor model = ops::model_descriptor::vit(cfg);
  std::vector<node_resources> resources;
  for (const auto& n : nodes) resources.push_back({n.info.threads, n.info.memory_mb});
  auto inst = auto_instance(topo, model, resources, microbatch, layer_times);
  if (!inst) return inst.error();
  // Nodes that share a machine's cores plan as what they get of it when all
  // compute (cli/shared_machines.hpp); the plan is reported with their own times.
  const std::vector<double> factors = sharing_factors(machines_of(topo, nodes));
  const bool sharing = std::any_of(factors.begin(), factors.end(), [](double f) { return f > 1; });
  auto best = planner::optimal_partition(sharing ? scaled_for_sharing(*inst, factors) : *inst);
  if (!best) {
    if (best.error().code == errc::infeasible) return no_plan_error(*inst, model, best.error());
    return best.error();
  }
  const double shared_period_s = best->best.period_s;
  if (sharing) {
    auto own = planner::evaluate(*inst, best->best.stages);
    if (!own) return own.error();
    best->best = std::move(*own);
  }
  auto_plan_result out;
  for (const auto& s : best->best.stages)
    out.stages.push_back(planned_stage{static_cast<size_t>(s.device), s.first, s.last});
  char buf[200];
  std::snprintf(buf, sizeof buf, "auto (%s, %s layer times, est. period %.3f ms",
                best->method.c_str(), layer_times.empty() ? "estimated" : "measured",
                best->best.period_s * 1e3);
  std::string method = buf;
  if (sharing) {
    std::snprintf(buf, sizeof buf, ", planned for shared cores: %.3f ms", shared_period_s * 1e3);
    method += buf;
  }
  out.method = method + ")";
  out.instance = std::move(*inst);
  out.plan = std::move(best->best);
  return out;
}

} // namespace edgepipe::cli
