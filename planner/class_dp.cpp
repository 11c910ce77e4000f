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
// the min over subsets, so the test looks one step down only.
//
// Pass 1 finds the optimal period P. Pass 2 runs again with P as the bound
// and marks every state whose own h is <= P in a bitset; the plan is then
// walked backwards through marked states.
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
  int digit(int64_t S, int c) const { return static_cast<int>(S / stride[c] % radix[c]); }
};

// The class with the most devices gets the largest stride, so the window is small.
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

struct bitset {
  std::vector<uint64_t> words;
  explicit bitset(size_t n) : words((n + 63) / 64, 0) {}
  void set(size_t b) { words[b >> 6] |= uint64_t(1) << (b & 63); }
  bool test(size_t b) const { return (words[b >> 6] >> (b & 63)) & 1; }
};

// One forward pass; returns the best period found within `bound` (or
// unreached). With `marks`, sets the bit of every state whose h <= bound.
double forward(const stage_table& t, const digits& dg, double bound, bitset* marks) {
  const int L = t.layers(), C = t.classes();
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
  double best = unreached;
  std::vector<int> used(C);
  std::vector<char> next_ok(C);

  for (int64_t S = 0; S < dg.states; ++S) {
    if (S > max_stride && window < dg.states) // S - max_stride - 1 is no longer needed;
      std::fill_n(h.begin() + static_cast<size_t>((S + max_stride) % window) * slot_size, slot_size,
                  unreached); // its slot becomes S + max_stride, S's farthest target
    for (int c = 0; c < C; ++c) used[c] = dg.digit(S, c);
    for (int u = 0; u < C; ++u) {
      if (used[u] >= t.count(u)) continue;
      const int64_t S2 = S + dg.stride[u];
      for (int v = 0; v < C; ++v) next_ok[v] = used[v] + (v == u) < t.count(v);
      const double mem_limit = t.mem_limit_bytes(u);
      for (int i = 0; i < L; ++i) {
        double& slot = at(S, i, u);
        const double hv = slot;
        if (marks && hv <= bound) marks->set((static_cast<size_t>(S) * (L + 1) + i) * C + u);
        double sub = unreached; // the best over S's subsets one device smaller
        for (int c = 0; c < C; ++c)
          if (used[c] > 0) sub = std::min(sub, at(S - dg.stride[c], i, u));
        if (sub <= hv) { // dominated: a subset state already expanded this
          slot = sub;
          continue;
        }
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
              if (!marks) bound = std::min(bound, base); // pass 2 keeps its bound fixed
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
  return best;
}

bool stage_ok(const stage_table& t, int u, int first, int last, double period) {
  return t.weight_bytes(first, last) < t.mem_limit_bytes(u) &&
         t.compute(u, first, last) <= period && t.fits(u, first, last);
}

} // namespace

expected<class_solution> solve_classes(const stage_table& t, double upper_bound,
                                       int64_t max_states) {
  const int L = t.layers(), C = t.classes();
  digits dg = make_digits(t);
  if (dg.states > max_states / ((L + 1) * C))
    return make_error(errc::unsupported, "exact partition needs " + std::to_string(dg.states) +
                                             " x " + std::to_string((L + 1) * C) +
                                             " states, more than the limit " +
                                             std::to_string(max_states));
  const double period = forward(t, dg, upper_bound, nullptr);
  if (period == unreached) return make_error(errc::infeasible, "no partition fits");

  bitset marks(static_cast<size_t>(dg.states) * (L + 1) * C);
  forward(t, dg, period, &marks);
  auto marked = [&](int64_t S, int i, int u) {
    return marks.test((static_cast<size_t>(S) * (L + 1) + i) * C + u);
  };
  // The last stage: a marked state that finishes within the period.
  int64_t S = -1;
  int i = -1, u = -1;
  for (int64_t s = 0; s < dg.states && S < 0; ++s)
    for (int c = 0; c < C && S < 0; ++c) {
      if (dg.digit(s, c) >= t.count(c)) continue;
      for (int k = 0; k < L && S < 0; ++k)
        if (marked(s, k, c) && stage_ok(t, c, k + 1, L, period)) S = s, i = k, u = c;
    }
  if (S < 0) return make_error(errc::internal, "the DP found a period but no last stage");
  class_solution sol{period, {{u, i + 1, L}}};
  // Walk back: a marked predecessor whose stage and send stay within the period.
  while (i > 0) {
    bool stepped = false;
    for (int p = 0; p < C && !stepped; ++p) {
      if (dg.digit(S, p) == 0) continue;
      const int64_t prev = S - dg.stride[p];
      for (int k = i - 1; k >= 0 && !stepped; --k)
        if (marked(prev, k, p) && stage_ok(t, p, k + 1, i, period) && t.send(i, p, u) <= period) {
          sol.stages.push_back({p, k + 1, i});
          S = prev, i = k, u = p;
          stepped = true;
        }
    }
    if (!stepped) return make_error(errc::internal, "the DP's plan cannot be walked back");
  }
  std::reverse(sol.stages.begin(), sol.stages.end());
  return sol;
}

} // namespace edgepipe::planner
