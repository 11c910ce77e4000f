#include "runtime/replan_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "planner/cost_model.hpp"
#include "planner/partition.hpp"
#include "planner/wire_size.hpp"

namespace edgepipe::runtime {

namespace {

// The planner counts 1 Mbit as 2^20 bit (PipeEdge's files); edgepipe's rates
// are 10^6 bit/s. Dividing by a power of two and multiplying back is exact,
// so send times come out as bytes * 8 / (mbps * 10^6) to the last bit.
// Unlimited links cost (almost) nothing; a link measured at 0 costs ~forever
// but stays finite, so the DP's comparisons stay ordinary numbers.
double planner_mbps(double mbps) {
  if (std::isinf(mbps)) return 1e12;
  return std::max(mbps, 1e-9) * 1e6 / planner::bits_per_mbit;
}

constexpr double unlimited_memory_mb = 1e12;

error bad(const std::string& what) {
  return make_error(errc::invalid_argument, "re-planner inputs: " + what);
}

bool pair_sized(size_t size, size_t n) {
  return size == n * n;
}

expected<void> check_plan(const plan& p, size_t nodes, int layers) {
  if (p.stages.empty()) return bad("current plan has no stages");
  if (p.bits.size() != p.stages.size())
    return bad("current plan has " + std::to_string(p.bits.size()) + " bits for " +
               std::to_string(p.stages.size()) + " stages");
  std::vector<bool> used(nodes, false);
  int next = 1;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const stage_assignment& s = p.stages[i];
    std::string where = "current plan stage " + std::to_string(i);
    if (s.node < 0 || size_t(s.node) >= nodes)
      return bad(where + ": no node " + std::to_string(s.node));
    if (used[s.node]) return bad(where + ": node " + std::to_string(s.node) + " hosts two stages");
    used[s.node] = true;
    if (s.first != next || s.last < s.first || s.last > layers)
      return bad(where + ": layers " + std::to_string(s.first) + ".." + std::to_string(s.last) +
                 " do not continue at layer " + std::to_string(next));
    next = s.last + 1;
  }
  if (next != layers + 1) return bad("current plan stops at layer " + std::to_string(next - 1));
  return {};
}

expected<void> check_inputs(const replan_inputs& in, const std::vector<double>& slowdown) {
  size_t n = in.nodes.size();
  size_t L = in.layer_weights_mb.size();
  if (n == 0) return bad("no nodes");
  if (L == 0) return bad("layer_weights_mb is empty");
  if (in.layer_output_elements.size() != L)
    return bad("layer_output_elements has " + std::to_string(in.layer_output_elements.size()) +
               " entries for " + std::to_string(L) + " layers");
  if (in.input_elements <= 0) return bad("input_elements must be > 0");
  if (in.microbatch < 1) return bad("microbatch must be >= 1");
  if (slowdown.size() != n) return bad("slowdown factors for the wrong number of nodes");
  for (size_t k = 0; k < n; ++k) {
    const node_state& node = in.nodes[k];
    size_t got = node.baseline_layer_s.size();
    if (got != L && !(got == 0 && !node.alive))
      return bad("node " + node.name + ": baseline_layer_s has " + std::to_string(got) +
                 " entries for " + std::to_string(L) + " layers");
    for (double t : node.baseline_layer_s)
      if (!(t >= 0) || std::isinf(t)) return bad("node " + node.name + ": a layer time < 0");
  }
  if (!pair_sized(in.configured_mbps.size(), n) || !pair_sized(in.min_bits.size(), n) ||
      !pair_sized(in.max_bits.size(), n))
    return bad("configured_mbps, min_bits and max_bits need nodes x nodes entries");
  if (!in.pair_links.empty() && !pair_sized(in.pair_links.size(), n))
    return bad("pair_links needs nodes x nodes entries or none");
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      size_t k = a * n + b;
      std::string pair = in.nodes[a].name + " -> " + in.nodes[b].name;
      if (!(in.configured_mbps[k] >= 0)) return bad("configured_mbps " + pair + " is not >= 0");
      int lo = in.min_bits[k], hi = in.max_bits[k];
      if (lo < 0 || hi > 16 || lo > hi || (lo == 0 && hi != 0))
        return bad("bits of " + pair + ": expected 1 <= min <= max <= 16, or 0 and 0 (float32)");
    }
  if (auto ok = check_plan(in.current, n, int(L)); !ok) return ok.error();
  size_t stages = in.current.stages.size();
  if (!in.stage_compute_s.empty() && in.stage_compute_s.size() != stages)
    return bad("stage_compute_s needs one entry per stage of the current plan, or none");
  size_t links = in.stage_links.size();
  if (links != 0 && links != stages - 1 && links != stages)
    return bad("stage_links needs one entry per link of the current plan, or none");
  return {};
}

// Beyond 12 alive nodes the planner plans per device type (its links
// heuristic, planner/README.md) and its cost grows with the number of types:
// 16 nodes as 16 types took 43 s. Nodes with the same memory whose total
// time is within the same 5% step share a type; the heuristic's final plans
// are evaluated with each node's own times, so this only steers the search.
// (Up to 12 alive nodes the DP is exact per node and ignores types.)
std::string type_key(const planner::device& d) {
  double total = 0;
  for (double t : d.time_s) total += t;
  long step = total > 0 ? std::lround(std::log(total) / std::log(1.05)) : 0;
  char key[64];
  std::snprintf(key, sizeof key, "%.6g MB, step %ld", d.mem_mb, step);
  return key;
}

pair_rate apply(const measured_link& e, pair_rate configured) {
  if (!e.known) return configured;
  if (!e.lower_bound) return pair_rate{e.mbps, rate_source::measured};
  if (e.mbps > configured.mbps) return pair_rate{e.mbps, rate_source::at_least};
  return configured; // the link carries at least the estimate: the assumption still holds
}

} // namespace

expected<replan_model> replan_model::build(const replan_inputs& in,
                                           const std::vector<double>& slowdown) {
  if (auto ok = check_inputs(in, slowdown); !ok) return ok.error();
  size_t n = in.nodes.size();
  int L = static_cast<int>(in.layer_weights_mb.size());
  replan_model m;
  planner::instance& inst = m.all_;
  inst.layers = L;
  inst.parameters_in = in.input_elements;
  inst.parameters_out = in.layer_output_elements;
  inst.mem_mb = in.layer_weights_mb;
  inst.options.model = planner::cost_model::edgepipe;
  inst.options.batch_size = in.microbatch;
  for (size_t k = 0; k < n; ++k) {
    const node_state& node = in.nodes[k];
    planner::device d;
    d.host = node.name;
    d.mem_mb = node.memory_mb > 0 ? node.memory_mb : unlimited_memory_mb;
    d.time_s.assign(L, 0.0);
    for (size_t l = 0; l < node.baseline_layer_s.size(); ++l)
      d.time_s[l] = node.baseline_layer_s[l] * slowdown[k];
    d.type = type_key(d);
    inst.devices.push_back(d);
    m.names_.push_back(node.name);
    m.alive_.push_back(node.alive);
  }

  // Rates: configured, then a probe between the pair, then the plan's own link.
  m.rates_.resize(n * n);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      size_t k = a * n + b;
      pair_rate configured{in.configured_mbps[k], rate_source::configured};
      if (a == b) configured.mbps = std::numeric_limits<double>::infinity();
      m.rates_[k] = in.pair_links.empty() ? configured : apply(in.pair_links[k], configured);
    }
  const auto& stages = in.current.stages;
  for (size_t i = 0; i + 1 < stages.size() && i < in.stage_links.size(); ++i) {
    size_t k = size_t(stages[i].node) * n + stages[i + 1].node;
    m.rates_[k] =
        apply(in.stage_links[i], pair_rate{in.configured_mbps[k], rate_source::configured});
  }
  inst.link_mbps.resize(n * n);
  for (size_t k = 0; k < n * n; ++k) inst.link_mbps[k] = planner_mbps(m.rates_[k].mbps);
  m.min_bits_ = in.min_bits;
  m.max_bits_ = in.max_bits;
  inst.link_bits = in.min_bits;
  return m;
}

double replan_model::send_s(int layer, int from, int to, int bits) const {
  // planner::send_time's arithmetic, at a bitwidth of our choosing.
  int64_t bytes = planner::frame_bytes(planner::elements_out(all_, layer), bits);
  double bytes_per_s = planner::link_mbps(all_, from, to) * planner::bits_per_mbit / 8;
  return static_cast<double>(bytes) / bytes_per_s;
}

double replan_model::compute_s(int node, int first, int last) const {
  return planner::compute_time(all_, node, first, last);
}

expected<planner::plan> replan_model::evaluate(const plan& p, bool check_memory) const {
  planner::instance inst = all_;
  if (!check_memory)
    for (planner::device& d : inst.devices) d.mem_mb = unlimited_memory_mb;
  std::vector<planner::stage> stages;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const stage_assignment& s = p.stages[i];
    if (s.node < 0 || s.node >= num_nodes())
      return make_error(errc::invalid_argument, "plan names no node " + std::to_string(s.node));
    if (!alive_[s.node])
      return make_error(errc::infeasible,
                        "node " + names_[s.node] + " (stage " + std::to_string(i) + ") is lost");
    if (i + 1 < p.stages.size() && i < p.bits.size())
      inst.link_bits[size_t(s.node) * num_nodes() + p.stages[i + 1].node] = p.bits[i];
    planner::stage st;
    st.device = s.node;
    st.first = s.first;
    st.last = s.last;
    stages.push_back(st);
  }
  return planner::evaluate(inst, stages);
}

std::vector<int> replan_model::fit_bits(const std::vector<stage_assignment>& stages,
                                        double period_s) const {
  std::vector<int> bits(stages.size(), 0);
  for (size_t i = 0; i + 1 < stages.size(); ++i) {
    int a = stages[i].node, b = stages[i + 1].node, layer = stages[i].last;
    size_t k = size_t(a) * num_nodes() + b;
    int lo = min_bits_[k], hi = max_bits_[k];
    bits[i] = lo;
    if (lo == 0) continue; // float32 only
    if (send_s(layer, a, b, hi) <= period_s) {
      bits[i] = hi;
      continue;
    }
    for (int candidate = hi - 1; candidate > lo; --candidate)
      if (send_s(layer, a, b, candidate) <= period_s) {
        bits[i] = candidate;
        break;
      }
  }
  return bits;
}

planner::instance replan_model::alive_instance(std::vector<int>* node_of_device) const {
  planner::instance sub = all_;
  sub.devices.clear();
  node_of_device->clear();
  for (int k = 0; k < num_nodes(); ++k)
    if (alive_[k]) {
      sub.devices.push_back(all_.devices[k]);
      node_of_device->push_back(k);
    }
  size_t m = node_of_device->size(), n = size_t(num_nodes());
  sub.link_mbps.assign(m * m, 0);
  sub.link_bits.assign(m * m, 0);
  for (size_t a = 0; a < m; ++a)
    for (size_t b = 0; b < m; ++b) {
      size_t from = size_t((*node_of_device)[a]) * n + (*node_of_device)[b];
      sub.link_mbps[a * m + b] = all_.link_mbps[from];
      sub.link_bits[a * m + b] = all_.link_bits[from];
    }
  return sub;
}

expected<plan> replan_model::optimal(double bound) const {
  std::vector<int> node_of;
  planner::instance sub = alive_instance(&node_of);
  if (sub.devices.empty()) return make_error(errc::infeasible, "no node is alive");
  planner::partition_options options;
  options.upper_bound = bound;
  auto best = planner::optimal_partition(sub, options);
  if (!best) return best.error();
  plan p;
  for (const planner::stage& s : best->best.stages)
    p.stages.push_back(stage_assignment{node_of[s.device], s.first, s.last});
  for (size_t i = 0; i < p.stages.size(); ++i)
    p.bits.push_back(i + 1 < p.stages.size() ? min_bits(p.stages[i].node, p.stages[i + 1].node)
                                             : 0);
  return p;
}

double replan_model::shortfall_mb(int* roomiest) const {
  std::vector<int> node_of;
  planner::instance sub = alive_instance(&node_of);
  *roomiest = -1;
  if (sub.devices.empty()) return 0;
  int r = 0;
  for (int d = 1; d < sub.num_devices(); ++d)
    if (sub.devices[d].mem_mb > sub.devices[r].mem_mb) r = d;
  *roomiest = node_of[r];
  double have = sub.devices[r].mem_mb;
  // The whole model on the roomiest node fits with this much more; bisect
  // down to the least extra with which any plan fits (to 0.05 MB).
  double lo = 0, hi = planner::memory_required_bytes(sub, 1, sub.layers) / planner::bytes_per_mb -
                      have + 0.1;
  while (hi - lo > 0.05) {
    double mid = (lo + hi) / 2;
    sub.devices[r].mem_mb = have + mid;
    (planner::optimal_partition(sub) ? hi : lo) = mid;
  }
  return std::ceil(hi * 10) / 10;
}

std::string describe_stage(const replan_model& m, const plan& p, int stage) {
  const stage_assignment& s = p.stages[stage];
  return "node " + m.name(s.node) + " (stage " + std::to_string(stage) + ", layers " +
         std::to_string(s.first) + ".." + std::to_string(s.last) + ")";
}

std::string describe_link(const replan_model& m, const plan& p, int link) {
  return "link " + std::to_string(link) + " (node " + m.name(p.stages[link].node) + " -> node " +
         m.name(p.stages[link + 1].node) + ")";
}

} // namespace edgepipe::runtime
