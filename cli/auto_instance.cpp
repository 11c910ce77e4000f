#include "cli/auto_instance.hpp"

#include <cstdio>

#include "planner/cost_model.hpp"

namespace edgepipe::cli {

namespace {

// Assumed sustained float32 rate of one compute thread, for estimated times.
// Only the ratio of compute to transfer times depends on it; the partition
// between nodes depends on the nodes' thread counts.
constexpr double flops_per_thread = 20e9;

// How much faster than f32 a thread computes a dtype (measured with
// bench_vit_forward on AVX-512 BF16/VNNI: bf16 ~2x, int8 ~3x f32), for the
// estimate used when a node measured nothing. (Bytes per weight come from the
// descriptor's weight_bytes.)
double dtype_speedup(ops::dtype dt) {
  return dt == ops::dtype::bf16 ? 2.0 : dt == ops::dtype::int8 ? 3.0 : 1.0;
}

// The rate a link is planned for, in 10^6 bit/s; 0 = unlimited.
double link_rate_mbps(const config::bandwidth_spec& b) {
  if (b.kind == config::bandwidth_kind::fixed) return b.mbps;
  if (b.kind == config::bandwidth_kind::trace && !b.trace.empty()) {
    double sum = 0;
    for (const auto& p : b.trace) sum += p.mbps;
    return sum / b.trace.size(); // the trace's mean step rate
  }
  return 0;
}

} // namespace

double to_planner_mbps(double mbps) {
  return mbps * 1e6 / planner::bits_per_mbit;
}
double from_planner_mbps(double planner_mbps) {
  return planner_mbps * planner::bits_per_mbit / 1e6;
}

expected<planner::instance> auto_instance(const config::topology& topo,
                                          const ops::model_descriptor& model,
                                          const std::vector<node_resources>& nodes, int microbatch,
                                          const std::vector<std::vector<double>>& layer_times) {
  auto dt = ops::parse_dtype(topo.model.dtype);
  if (!dt) return dt.error();
  if (nodes.size() != topo.nodes.size())
    return make_error(errc::invalid_argument,
                      "auto plan: " + std::to_string(nodes.size()) + " nodes reported for " +
                          std::to_string(topo.nodes.size()) + " in the topology");
  planner::instance inst;
  inst.layers = model.num_layers();
  inst.parameters_in = model.input_elements();
  for (const auto& l : model.layers()) {
    inst.parameters_out.push_back(l.output_elements());
    inst.mem_mb.push_back(ops::to_mb(l.weight_bytes(*dt)));
  }
  inst.options.model = planner::cost_model::edgepipe;
  inst.options.batch_size = microbatch;
  const size_t n = nodes.size();
  for (size_t i = 0; i < n; ++i) {
    const auto& spec = topo.nodes[i];
    planner::device d;
    d.host = spec.name;
    d.type = spec.name;
    const int64_t mem = nodes[i].memory_mb > 0 ? nodes[i].memory_mb : spec.memory_mb;
    d.mem_mb = mem > 0 ? static_cast<double>(mem) : 1e9;
    d.bw_mbps = unlimited_planner_mbps;
    const int threads = nodes[i].threads > 0 ? nodes[i].threads : spec.threads;
    if (i < layer_times.size() && layer_times[i].size() == static_cast<size_t>(inst.layers))
      d.time_s = layer_times[i];
    else
      for (const auto& l : model.layers())
        d.time_s.push_back(l.flops * microbatch /
                           (flops_per_thread * dtype_speedup(*dt) * (threads > 0 ? threads : 1)));
    inst.devices.push_back(std::move(d));
  }
  inst.link_mbps.assign(n * n, unlimited_planner_mbps);
  inst.link_bits.assign(n * n, 0);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      auto link = config::settings_for_link(topo, -2, topo.nodes[a].name, topo.nodes[b].name);
      const double mbps = link_rate_mbps(link.bandwidth);
      inst.link_mbps[a * n + b] = mbps > 0 ? to_planner_mbps(mbps) : unlimited_planner_mbps;
      inst.link_bits[a * n + b] =
          link.quant.mode == config::quant_mode::adaptive ? link.quant.max_bits : link.quant.bits;
    }
  return inst;
}

error no_plan_error(const planner::instance& inst, const ops::model_descriptor& model,
                    const error& planner_error) {
  double need = 0, offered = 0;
  for (double mb : inst.mem_mb) need += mb;
  std::string nodes;
  for (const auto& d : inst.devices) {
    offered += d.mem_mb;
    char one[96];
    if (d.mem_mb >= 1e9) // auto_instance's "no limit"
      std::snprintf(one, sizeof one, "%s%s no limit", nodes.empty() ? "" : ", ", d.host.c_str());
    else
      std::snprintf(one, sizeof one, "%s%s %.0f", nodes.empty() ? "" : ", ", d.host.c_str(),
                    d.mem_mb);
    nodes += one;
  }
  int largest = 1;
  for (int l = 2; l <= inst.layers; ++l)
    if (planner::memory_required_bytes(inst, l, l) >
        planner::memory_required_bytes(inst, largest, largest))
      largest = l;
  const double largest_mb =
      planner::memory_required_bytes(inst, largest, largest) / planner::bytes_per_mb;
  std::string shortfall; // when the weights alone exceed the sum of the limits
  if (need > offered)
    shortfall = ", " + std::to_string(static_cast<long long>(need - offered + 0.5)) + " MB short";
  // When the weights alone fit in the sum, buffers or the layer granularity
  // are the cause: the planner's own explanation says which device.
  const std::string detail = need > offered ? "" : " (" + planner_error.message + ")";
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "no plan fits the nodes' memory: the model needs %.0f MB of weights; the nodes "
                "offer %.0f MB in all (%s)%s; the largest layer needs %.1f MB with its buffers "
                "(layer %d, %s)%s",
                need, offered, nodes.c_str(), shortfall.c_str(), largest_mb, largest,
                model.layer(largest).name.c_str(), detail.c_str());
  return make_error(errc::infeasible, buf);
}

} // namespace edgepipe::cli
