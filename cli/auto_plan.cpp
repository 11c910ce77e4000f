#include "cli/auto_plan.hpp"

#include <cstdio>

#include "cli/auto_instance.hpp"
#include "ops/layer_descriptor.hpp"
#include "planner/partition.hpp"

namespace edgepipe::cli {

expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch,
                                          const std::vector<std::vector<double>>& layer_times) {
  const ops::model_descriptor model = ops::model_descriptor::vit(cfg);
  std::vector<node_resources> resources;
  for (const auto& n : nodes) resources.push_back({n.info.threads, n.info.memory_mb});
  auto inst = auto_instance(topo, model, resources, microbatch, layer_times);
  if (!inst) return inst.error();
  auto best = planner::optimal_partition(*inst);
  if (!best) {
    if (best.error().code == errc::infeasible) return no_plan_error(*inst, model, best.error());
    return best.error();
  }
  auto_plan_result out;
  for (const auto& s : best->best.stages)
    out.stages.push_back(planned_stage{static_cast<size_t>(s.device), s.first, s.last});
  char buf[160];
  std::snprintf(buf, sizeof buf, "auto (%s, %s layer times, est. period %.3f ms)",
                best->method.c_str(), layer_times.empty() ? "estimated" : "measured",
                best->best.period_s * 1e3);
  out.method = buf;
  out.instance = std::move(*inst);
  out.plan = std::move(best->best);
  return out;
}

} // namespace edgepipe::cli
