// A small pipeline world for the re-planner's tests, with the test's own
// cost model and an exhaustive search over every contiguous partition, written
// from the formulas (planner/README.md, cost model `edgepipe`), not from the
// planner's code.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/replan_inputs.hpp"

namespace edgepipe::runtime::testing {

struct world {
  std::vector<std::string> names;
  std::vector<std::vector<double>> base; // per node, per layer: profiled seconds
  std::vector<double> memory_mb;         // per node
  std::vector<bool> alive;
  std::vector<double> weights_mb;    // per layer
  std::vector<int64_t> out_elements; // per layer, per sample
  int64_t in_elements = 3 * 32 * 32; // per sample
  int microbatch = 4;
  std::vector<double> rate_mbps;       // per ordered pair: what the test believes (10^6 bit/s)
  std::vector<int> min_bits, max_bits; // per ordered pair

  int nodes() const { return static_cast<int>(names.size()); }
  int layers() const { return static_cast<int>(weights_mb.size()); }
  size_t pair(int a, int b) const { return size_t(a) * names.size() + b; }
};

// Three nodes a, b, c of slightly different speeds, 12 layers of 10 MB,
// 1000 MB each, 1000 Mbit/s links allowing 2..16 bits.
inline world three_nodes() {
  world w;
  w.names = {"a", "b", "c"};
  const double speed[] = {1.0, 1.2, 0.8};
  for (double s : speed) {
    std::vector<double> t;
    for (int l = 1; l <= 12; ++l) t.push_back(1e-3 * s * (1 + 0.1 * (l % 3)));
    w.base.push_back(t);
  }
  w.memory_mb = {1000, 1000, 1000};
  w.alive = {true, true, true};
  for (int l = 1; l <= 12; ++l) {
    w.weights_mb.push_back(10);
    w.out_elements.push_back(l == 12 ? 10 : (l % 4 == 2 ? 4000 : 1000));
  }
  w.rate_mbps.assign(9, 1000);
  w.min_bits.assign(9, 2);
  w.max_bits.assign(9, 16);
  return w;
}

// Bytes of a codecs frame of `n` elements (rank 3, one scale per tensor).
inline int64_t frame_bytes(int64_t n, int bits) {
  int64_t header = 12 + 8 * 3 + (bits > 0 ? 8 : 0);
  return header + (bits > 0 ? (n * bits + 7) / 8 : 4 * n);
}

inline double send_s(const world& w, int layer, int a, int b, int bits) {
  int64_t n = int64_t(w.microbatch) * w.out_elements[layer - 1];
  return double(frame_bytes(n, bits)) * 8 / (w.rate_mbps[w.pair(a, b)] * 1e6);
}

inline double compute_s(const world& w, const std::vector<double>& factor, int node, int first,
                        int last) {
  double t = 0;
  for (int l = first; l <= last; ++l) t += w.base[node][l - 1] * factor[node];
  return t;
}

// PipeEdge's memory: weights + receive buffers (not on the first stage) +
// 2 send buffers + the input and output being processed; fits strictly.
inline double memory_need_mb(const world& w, int first, int last) {
  double weights = 0;
  for (int l = first; l <= last; ++l) weights += w.weights_mb[l - 1] * 1048576.0;
  int64_t in = 4 * int64_t(w.microbatch) * (first == 1 ? w.in_elements : w.out_elements[first - 2]);
  int64_t out = 4 * int64_t(w.microbatch) * w.out_elements[last - 1];
  int64_t buffers = (first > 1 ? 2 * in : 0) + 2 * out + in + out;
  return (weights + double(buffers)) / 1048576.0;
}

inline bool fits(const world& w, const stage_assignment& s) {
  return w.memory_mb[s.node] > memory_need_mb(w, s.first, s.last);
}

// The period of `stages` with `bits` per link (empty: each pair's min bits);
// infinity when a stage sits on a dead node or (with check_memory) does not fit.
inline double period_of(const world& w, const std::vector<double>& factor,
                        const std::vector<stage_assignment>& stages, std::vector<int> bits = {},
                        bool check_memory = true) {
  double period = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    const stage_assignment& s = stages[i];
    if (!w.alive[s.node] || (check_memory && !fits(w, s)))
      return std::numeric_limits<double>::infinity();
    period = std::max(period, compute_s(w, factor, s.node, s.first, s.last));
    if (i + 1 < stages.size()) {
      int next = stages[i + 1].node;
      int b = bits.empty() ? w.min_bits[w.pair(s.node, next)] : bits[i];
      period = std::max(period, send_s(w, s.last, s.node, next, b));
    }
  }
  return period;
}

struct best_plan {
  double period = std::numeric_limits<double>::infinity();
  std::vector<stage_assignment> stages;
};

// Every ordered choice of distinct alive nodes and every split of 1..L.
inline void search(const world& w, const std::vector<double>& factor,
                   std::vector<stage_assignment>& prefix, std::vector<bool>& used,
                   best_plan& best) {
  int next = prefix.empty() ? 1 : prefix.back().last + 1;
  if (next > w.layers()) {
    double p = period_of(w, factor, prefix);
    if (p < best.period) best = best_plan{p, prefix};
    return;
  }
  for (int node = 0; node < w.nodes(); ++node) {
    if (used[node] || !w.alive[node]) continue;
    used[node] = true;
    for (int last = next; last <= w.layers(); ++last) {
      prefix.push_back(stage_assignment{node, next, last});
      search(w, factor, prefix, used, best);
      prefix.pop_back();
    }
    used[node] = false;
  }
}

inline best_plan brute_force(const world& w, const std::vector<double>& factor) {
  best_plan best;
  std::vector<stage_assignment> prefix;
  std::vector<bool> used(w.nodes(), false);
  search(w, factor, prefix, used, best);
  return best;
}

// Inputs for `current` where node k computes `factor[k]` times its profile
// (measured exactly so), all rates configured as the world's, no measurements
// of links; tests then add measurements.
inline replan_inputs inputs_for(const world& w, const plan& current,
                                const std::vector<double>& factor, int64_t now_ns = 0) {
  replan_inputs in;
  in.current = current;
  for (int k = 0; k < w.nodes(); ++k)
    in.nodes.push_back(node_state{w.names[k], w.base[k], w.memory_mb[k], bool(w.alive[k])});
  in.layer_weights_mb = w.weights_mb;
  in.layer_output_elements = w.out_elements;
  in.input_elements = w.in_elements;
  in.microbatch = w.microbatch;
  for (const stage_assignment& s : current.stages) {
    double profiled = 0;
    for (int l = s.first; l <= s.last; ++l) profiled += w.base[s.node][l - 1];
    in.stage_compute_s.push_back(profiled * factor[s.node]);
  }
  in.configured_mbps = w.rate_mbps;
  in.min_bits = w.min_bits;
  in.max_bits = w.max_bits;
  in.now_ns = now_ns;
  return in;
}

inline plan make_plan(const std::vector<stage_assignment>& stages, int link_bits,
                      uint64_t epoch = 1) {
  plan p;
  p.epoch = epoch;
  p.stages = stages;
  p.bits.assign(stages.size(), link_bits);
  p.bits.back() = 0;
  return p;
}

inline bool uses_pair(const plan& p, int a, int b) {
  for (size_t i = 0; i + 1 < p.stages.size(); ++i)
    if (p.stages[i].node == a && p.stages[i + 1].node == b) return true;
  return false;
}

inline int layers_on(const plan& p, int node) {
  for (const stage_assignment& s : p.stages)
    if (s.node == node) return s.last - s.first + 1;
  return 0;
}

} // namespace edgepipe::runtime::testing
