// The min-max DP over device classes (see partition.hpp and README.md).
//
// State (S, i, u): the first i layers are placed on the devices counted in S
// (a mixed-radix number, digit c = devices of class c used), and the next
// stage goes to a device of class u. h(S, i, u) = the smallest bottleneck of
// those stages, counting each stage's send to its successor's class u.
// Transitions add layers i+1..j on class u and pick the next class v:
//   h(S + e_u, j, v) <- max(h(S, i, u), compute(u, i+1, j), send(j, u, v))
// and j = L closes the pipeline with max(h, compute) (the last stage sends nothing).
// Every transition increases S, so S is processed in increasing order and only
// a window of 2 * max_stride + 1 values of S is alive at once.
//
// Dominance: devices may stay unused, so whatever can follow (S, i, u) can
// also follow (S - e_c, i, u). When h(S - e_c, i, u) <= h(S, i, u) for some
// class c, the state adds nothing and is not expanded; its slot then keeps
// min over subsets, so the test looks one step down only.
#include <algorithm>
#include <limits>

#include "planner/partition.hpp"

namespace edgepipe::planner {

namespace {

constexpr double unreached = std::numeric_limits<double>::infinity();

struct digits {
  std::vector<int64_t> stride; // per class
  std::vector<int> radix;
  int64_t states = 1; // prod(count + 1)
};

// The class with the most devices gets the largest stride, so the window
// (largest stride + 1) is as small as possible.
digits make_digits(const stage_table& t) {
  digits d;
  int C = t.classes();
  std::vector<int> order(C);
  for (int c = 0; c < C; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return t.count(a) < t.count(b); });
  d.stride.assign(C, 0);
  d.radix.assign(C, 0);
  for (int c : order) {
    d.stride[c] = d.states;
    d.radix[c] = t.count(c) + 1;
    d.states *= d.radix[c];
  }
  return d;
}

// Depth-first recovery of a plan whose every stage is within `period`.
struct recovery {
  const stage_table& t;
  const digits& dg;
  double period;
  std::vector<uint64_t> failed; // bitset over (S, i, u)
  std::vector<class_stage> path;

  size_t bit(int64_t S, int i, int u) const {
    return (static_cast<size_t>(S) * (t.layers() + 1) + i) * t.classes() + u;
  }
  bool is_failed(size_t b) const { return (failed[b >> 6] >> (b & 63)) & 1; }
  void set_failed(size_t b) { failed[b >> 6] |= uint64_t(1) << (b & 63); }

  bool search(int64_t S, int i, int u, std::vector<int>& used) {
    const int L = t.layers(), C = t.classes();
    used[u] += 1;
    int64_t S2 = S + dg.stride[u];
    for (int j = L; j > i; --j) { // fewer, longer stages first
      if (t.weight_bytes(i + 1, j) >= t.mem_limit_bytes(u)) continue;
      if (t.compute(u, i + 1, j) > period || !t.fits(u, i + 1, j)) continue;
      path.push_back({u, i + 1, j});
      if (j == L) return true;
      for (int v = 0; v < C; ++v) {
        if (used[v] >= t.count(v) || t.send(j, u, v) > period) continue;
        size_t b = bit(S2, j, v);
        if (is_failed(b)) continue;
        if (search(S2, j, v, used)) return true;
        set_failed(b);
      }
      path.pop_back();
    }
    used[u] -= 1;
    return false;
  }
};

} // namespace

expected<class_solution> solve_classes(const stage_table& t, double upper_bound,
                                       int64_t max_states) {
  const int L = t.layers(), C = t.classes();
  digits dg = make_digits(t);
  if (dg.states > max_states / ((L + 1) * C))
    return make_error(errc::unsupported,
                      "exact partition needs " + std::to_string(dg.states) + " x " +
                          std::to_string((L + 1) * C) + " states, more than the limit " +
                          std::to_string(max_states));
  int64_t max_stride = 0;
  for (int c = 0; c < C; ++c) max_stride = std::max(max_stride, dg.stride[c]);
  // Alive: S - max_stride (dominance) .. S + max_stride (targets).
  const int64_t window = std::min(dg.states, 2 * max_stride + 1);
  const size_t slot_size = static_cast<size_t>(L + 1) * C;
  std::vector<double> h(static_cast<size_t>(window) * slot_size, unreached);
  auto at = [&](int64_t S, int i, int u) -> double& {
    return h[static_cast<size_t>(S % window) * slot_size + static_cast<size_t>(i) * C + u];
  };

  for (int u = 0; u < C; ++u)
    if (t.count(u) > 0) at(0, 0, u) = 0;
  double bound = upper_bound; // transitions above it cannot beat a known plan
  bool found = false;
  double best = unreached;
  std::vector<int> used(C);
  std::vector<char> next_ok(C);

  for (int64_t S = 0; S < dg.states; ++S) {
    if (S > max_stride && window < dg.states) { // S - max_stride - 1 is no longer needed;
      // its slot becomes S + max_stride, the farthest target of S
      std::fill_n(h.begin() + static_cast<size_t>((S + max_stride) % window) * slot_size,
                  slot_size, unreached);
    }
    for (int c = 0; c < C; ++c) used[c] = static_cast<int>(S / dg.stride[c] % dg.radix[c]);
    for (int u = 0; u < C; ++u) {
      if (used[u] >= t.count(u)) continue;
      const int64_t S2 = S + dg.stride[u];
      for (int v = 0; v < C; ++v) next_ok[v] = used[v] + (v == u) < t.count(v);
      const double mem_limit = t.mem_limit_bytes(u);
      for (int i = 0; i < L; ++i) {
        double& slot = at(S, i, u);
        double sub = unreached; // the best over S's subsets one device smaller
        for (int c = 0; c < C; ++c)
          if (used[c] > 0) sub = std::min(sub, at(S - dg.stride[c], i, u));
        if (sub <= slot) { // dominated: a subset already expanded this
          slot = sub;
          continue;
        }
        const double hv = slot;
        if (hv > bound) continue; // also skips unreached states
        for (int j = i + 1; j <= L; ++j) {
          // Weights only grow with j and buffers are >= 0: nothing longer fits.
          if (t.weight_bytes(i + 1, j) >= mem_limit) break;
          const double comp = t.compute(u, i + 1, j);
          if (comp > bound) break; // compute only grows with j
          if (!t.fits(u, i + 1, j)) continue;
          const double base = std::max(hv, comp);
          if (j == L) {
            if (base < best) {
              best = base;
              found = true;
              bound = std::min(bound, base);
            }
            continue;
          }
          for (int v = 0; v < C; ++v) {
            if (!next_ok[v]) continue;
            const double cost = std::max(base, t.send(j, u, v));
            if (cost > bound) continue;
            double& dst = at(S2, j, v);
            if (cost < dst) dst = cost;
          }
        }
      }
    }
  }
  if (!found) return make_error(errc::infeasible, "no partition fits");

  recovery r{t, dg, best, {}, {}};
  r.failed.assign((static_cast<size_t>(dg.states) * slot_size + 63) / 64, 0);
  std::vector<int> counts(C, 0);
  for (int u = 0; u < C; ++u) {
    if (t.count(u) == 0) continue;
    if (r.search(0, 0, u, counts)) return class_solution{best, r.path};
    std::fill(counts.begin(), counts.end(), 0);
  }
  return make_error(errc::internal, "the DP found a period but no plan reaches it");
}

} // namespace edgepipe::planner
