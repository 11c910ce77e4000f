#include "cli/auto_plan.hpp"

#include <cstdio>

#include "planner/partition.hpp"

namespace edgepipe::cli {

namespace {

// Assumed sustained float32 rate of one compute thread. Only the ratio of
// compute to transfer times depends on it; the partition between nodes
// depends on the nodes' thread counts.
constexpr double flops_per_thread = 20e9;

// How much faster than f32 a thread computes a dtype (measured with
// bench_vit_forward on AVX-512 BF16/VNNI: bf16 ~2x, int8 ~3x f32), and bytes
// per weight, for the estimate used when the nodes measured nothing.
double dtype_speedup(const std::string& dtype) {
  return dtype == "bf16" ? 2.0 : dtype == "int8" ? 3.0 : 1.0;
}
double dtype_bytes(const std::string& dtype) {
  return dtype == "bf16" ? 2.0 : dtype == "int8" ? 1.0 : 4.0;
}
constexpr double unlimited_mbps = 1e5; // loopback-class links

double link_rate_mbps(const config::bandwidth_spec& b) {
  if (b.kind == config::bandwidth_kind::fixed) return b.mbps;
  if (b.kind == config::bandwidth_kind::trace && !b.trace.empty()) {
    double sum = 0;
    for (const auto& p : b.trace) sum += p.mbps;
    return sum / b.trace.size(); // the trace's mean step rate
  }
  return unlimited_mbps;
}

} // namespace

double layer_flops(const ops::vit_config& c, int layer) {
  double T = c.tokens(), D = c.hidden_size, I = c.intermediate_size;
  int kind = (layer - 1) % 4;
  double f = 0;
  if (kind == 0) {
    f = 2 * T * D * 3 * D + 2 * 2 * T * T * D; // qkv + scores and context
    if (layer == 1) f += 2.0 * c.num_patches() * c.num_channels * c.patch_size * c.patch_size * D;
  } else if (kind == 1) {
    f = 2 * T * D * D;
  } else if (kind == 2) {
    f = 2 * T * D * I;
  } else {
    f = 2 * T * I * D;
    if (layer == c.planner_layers()) f += 2 * D * c.num_labels;
  }
  return f;
}

int64_t layer_output_elements(const ops::vit_config& c, int layer) {
  int64_t T = c.tokens(), D = c.hidden_size, I = c.intermediate_size;
  if (layer == c.planner_layers()) return c.num_labels;
  switch ((layer - 1) % 4) {
  case 0:
    return 2 * T * D; // attention context + residual
  case 1:
    return T * D;
  case 2:
    return T * I + T * D; // fc1 output + residual
  default:
    return T * D;
  }
}

namespace {

// Weights of a planner layer, in MB, at `bytes` per weight.
double layer_weights_mb(const ops::vit_config& c, int layer, double bytes) {
  double D = c.hidden_size, I = c.intermediate_size, params = 0;
  switch ((layer - 1) % 4) {
  case 0:
    params = 2 * D + 3 * D * D + 3 * D;
    break;
  case 1:
    params = D * D + D;
    break;
  case 2:
    params = 2 * D + D * I + I;
    break;
  default:
    params = I * D + D;
    break;
  }
  if (layer == 1)
    params += c.num_channels * c.patch_size * c.patch_size * D + D + (c.tokens() + 1.0) * D;
  if (layer == c.planner_layers()) params += 2 * D + D * c.num_labels + c.num_labels;
  return params * bytes / (1024.0 * 1024.0);
}

} // namespace

expected<auto_plan_result> auto_partition(const config::topology& topo, const ops::vit_config& cfg,
                                          const std::vector<actors::connected_node>& nodes,
                                          int microbatch,
                                          const std::vector<std::vector<double>>& layer_times) {
  planner::instance inst;
  inst.layers = cfg.planner_layers();
  inst.parameters_in = int64_t(cfg.num_channels) * cfg.image_size * cfg.image_size;
  for (int l = 1; l <= inst.layers; ++l) {
    inst.parameters_out.push_back(layer_output_elements(cfg, l));
    inst.mem_mb.push_back(layer_weights_mb(cfg, l, dtype_bytes(topo.model.dtype)));
  }
  inst.options.model = planner::cost_model::edgepipe;
  inst.options.batch_size = microbatch;
  size_t n = nodes.size();
  for (size_t i = 0; i < n; ++i) {
    const auto& spec = topo.nodes[i];
    planner::device d;
    d.host = spec.name;
    d.type = spec.name;
    int64_t mem = nodes[i].info.memory_mb > 0 ? nodes[i].info.memory_mb : spec.memory_mb;
    d.mem_mb = mem > 0 ? static_cast<double>(mem) : 1e9;
    d.bw_mbps = unlimited_mbps;
    int threads = nodes[i].info.threads > 0 ? nodes[i].info.threads : spec.threads;
    if (i < layer_times.size() && layer_times[i].size() == static_cast<size_t>(inst.layers))
      d.time_s = layer_times[i];
    else
      for (int l = 1; l <= inst.layers; ++l)
        d.time_s.push_back(layer_flops(cfg, l) * microbatch /
                           (flops_per_thread * dtype_speedup(topo.model.dtype) * threads));
    inst.devices.push_back(std::move(d));
  }
  inst.link_mbps.assign(n * n, unlimited_mbps);
  inst.link_bits.assign(n * n, 0);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      auto link = config::settings_for_link(topo, -2, topo.nodes[a].name, topo.nodes[b].name);
      inst.link_mbps[a * n + b] = link_rate_mbps(link.bandwidth);
      inst.link_bits[a * n + b] =
          link.quant.mode == config::quant_mode::adaptive ? link.quant.max_bits : link.quant.bits;
    }

  auto_plan_result out;
  auto best = planner::optimal_partition(inst);
  if (!best) {
    out.stages = even_split(inst.layers, n);
    out.method = "even (fallback: planner found no plan: " + best.error().message + ")";
    return out;
  }
  for (const auto& s : best->best.stages)
    out.stages.push_back(planned_stage{static_cast<size_t>(s.device), s.first, s.last});
  char buf[160];
  std::snprintf(buf, sizeof buf, "auto (%s, %s layer times, est. period %.3f ms)",
                best->method.c_str(), layer_times.empty() ? "estimated" : "measured",
                best->best.period_s * 1e3);
  out.method = buf;
  return out;
}

} // namespace edgepipe::cli
