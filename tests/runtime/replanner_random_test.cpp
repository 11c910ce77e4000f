// The re-planner against the exhaustive search on random small pipelines:
// tight memory, random slowdowns, slow or fast links, lost nodes. With no
// margin and no switching cost its decision is fully determined by the
// optimum, so every decision is checked, and no plan it returns ever exceeds
// a node's memory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "replan_world.hpp"
#include "runtime/replanner.hpp"

namespace edgepipe::runtime {
namespace {

using namespace testing;

// A fixed-seed generator (the test is the same on every run).
struct lcg {
  uint64_t state;
  uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return uint32_t(state >> 33);
  }
  int between(int lo, int hi) { return lo + int(next() % uint32_t(hi - lo + 1)); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (next() / 4294967296.0); }
};

world random_world(lcg& g) {
  world w;
  int n = g.between(2, 4), L = g.between(3, 7);
  w.microbatch = g.between(1, 8);
  w.in_elements = g.between(100, 5000);
  double total_weights = 0;
  for (int l = 0; l < L; ++l) {
    w.weights_mb.push_back(g.uniform(1, 40));
    w.out_elements.push_back(g.between(10, 20000));
    total_weights += w.weights_mb.back();
  }
  for (int k = 0; k < n; ++k) {
    w.names.push_back(std::string(1, char('a' + k)));
    std::vector<double> t;
    for (int l = 0; l < L; ++l) t.push_back(g.uniform(1e-4, 5e-3));
    w.base.push_back(t);
    // Often less than the whole model, sometimes less than a fair share.
    w.memory_mb.push_back(g.uniform(0.3, 1.5) * total_weights);
    w.alive.push_back(true);
  }
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      w.rate_mbps.push_back(g.between(0, 3) == 0 ? g.uniform(0.01, 1) : g.uniform(5, 1000));
      int lo = g.between(0, 4) == 0 ? 0 : g.between(1, 8);
      w.min_bits.push_back(lo);
      w.max_bits.push_back(lo == 0 ? 0 : g.between(lo, 16));
    }
  return w;
}

// A random contiguous plan over distinct nodes (alive or not), min bits.
plan random_plan(lcg& g, const world& w) {
  std::vector<int> order;
  for (int k = 0; k < w.nodes(); ++k) order.push_back(k);
  for (int k = w.nodes() - 1; k > 0; --k) std::swap(order[k], order[g.between(0, k)]);
  int stages = g.between(1, std::min(w.nodes(), w.layers()));
  plan p;
  int first = 1;
  for (int i = 0; i < stages; ++i) {
    int remaining = stages - i - 1;
    int last = i + 1 == stages ? w.layers() : g.between(first, w.layers() - remaining);
    p.stages.push_back(stage_assignment{order[i], first, last});
    first = last + 1;
  }
  for (int i = 0; i < stages; ++i)
    p.bits.push_back(i + 1 < stages ? w.min_bits[w.pair(order[i], order[i + 1])] : 0);
  return p;
}

TEST(ReplannerRandom, DecisionsFollowTheExhaustiveOptimumAndNeverExceedMemory) {
  lcg g{20261202};
  int switched = 0, kept = 0, gave_up = 0, lost_nodes = 0;
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    world w = random_world(g);
    plan current = random_plan(g, w);
    std::vector<double> factor;
    for (int k = 0; k < w.nodes(); ++k) factor.push_back(double(1 << g.between(0, 3)) / 2);
    if (g.between(0, 3) == 0) { // a run that started with the best plan; nothing changed
      best_plan start = brute_force(w, std::vector<double>(w.nodes(), 1.0));
      if (!start.stages.empty()) current = make_plan(start.stages, 0);
      for (size_t i = 0; i + 1 < current.stages.size(); ++i)
        current.bits[i] = w.min_bits[w.pair(current.stages[i].node, current.stages[i + 1].node)];
      factor.assign(w.nodes(), 1.0);
    }
    if (g.between(0, 3) == 0) {
      w.alive[g.between(0, w.nodes() - 1)] = false;
      ++lost_nodes;
    }
    replanner_options o;
    o.smoothing = 1;
    o.margin = 0;
    o.switch_cost_s = 0;
    replanner r(o);
    replan_inputs in = inputs_for(w, current, factor);
    // Factors apply to nodes the plan measures; the others stay at 1.
    std::vector<double> known(w.nodes(), 1.0);
    for (const stage_assignment& s : current.stages)
      if (w.alive[s.node]) known[s.node] = factor[s.node];

    auto d = r.decide(in);
    ASSERT_TRUE(d) << d.error().message;
    best_plan best = brute_force(w, known);
    // The plan in force is costed as it runs, whatever the memory model says.
    double now = period_of(w, known, current.stages, current.bits, false);
    bool runs = !std::isinf(now), fits_memory = !std::isinf(period_of(w, known, current.stages));
    EXPECT_EQ(d->current_period_s, now);
    if (best.stages.empty() && !runs) {
      EXPECT_EQ(d->action, replan_action::give_up) << d->reason;
      EXPECT_GT(d->shortfall_mb, 0);
      ++gave_up;
      continue;
    }
    ASSERT_NE(d->action, replan_action::give_up) << d->reason;
    if (d->action == replan_action::keep) {
      // Nothing is better than the plan in force; it is a best plan if it fits.
      EXPECT_LE(now, best.period) << d->reason;
      if (fits_memory) {
        EXPECT_EQ(now, best.period) << d->reason;
      }
      EXPECT_EQ(describe(d->next), describe(current));
      ++kept;
      continue;
    }
    EXPECT_EQ(d->action, replan_action::repartition) << d->reason; // plans start at min bits
    for (const stage_assignment& s : d->next.stages) {
      EXPECT_TRUE(w.alive[s.node]) << describe(d->next);
      EXPECT_GT(w.memory_mb[s.node], memory_need_mb(w, s.first, s.last)) << describe(d->next);
    }
    EXPECT_LT(best.period, now);
    EXPECT_DOUBLE_EQ(d->new_period_s, best.period) << d->reason;
    EXPECT_DOUBLE_EQ(period_of(w, known, d->next.stages, d->next.bits), best.period);
    ++switched;
  }
  std::printf("switched %d, kept %d, gave up %d, lost nodes %d\n", switched, kept, gave_up,
              lost_nodes);
  // The generator covers every outcome.
  EXPECT_GT(switched, 50);
  EXPECT_GT(kept, 10);
  EXPECT_GT(gave_up, 5);
  EXPECT_GT(lost_nodes, 30);
}

// Beyond 12 alive nodes the planner's links heuristic plans: not proven
// optimal, but its plans must be valid, fit, and beat the slowed plan.
TEST(ReplannerRandom, ManyNodesGetAValidPlanThatFits) {
  lcg g{7};
  world w = random_world(g);
  w.names.clear();
  w.base.clear();
  w.memory_mb.clear();
  w.alive.clear();
  const int n = 14;
  double weights = 0;
  for (double m : w.weights_mb) weights += m;
  for (int k = 0; k < n; ++k) {
    w.names.push_back("n" + std::to_string(k));
    std::vector<double> t;
    for (int l = 0; l < w.layers(); ++l) t.push_back(g.uniform(1e-3, 2e-3));
    w.base.push_back(t);
    w.memory_mb.push_back(k % 2 ? weights * 2 : weights * 0.6);
    w.alive.push_back(true);
  }
  w.rate_mbps.assign(n * n, 1000);
  w.min_bits.assign(n * n, 4);
  w.max_bits.assign(n * n, 16);
  plan current = make_plan({{1, 1, w.layers()}}, 0); // one roomy node
  std::vector<double> factor(n, 1.0);
  factor[1] = 4;
  replanner_options o;
  o.smoothing = 1;
  replanner r(o);
  auto d = r.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::repartition) << d->reason;
  EXPECT_EQ(layers_on(d->next, 1), 0) << describe(d->next);
  for (const stage_assignment& s : d->next.stages)
    EXPECT_GT(w.memory_mb[s.node], memory_need_mb(w, s.first, s.last)) << describe(d->next);
  EXPECT_DOUBLE_EQ(period_of(w, factor, d->next.stages, d->next.bits), d->new_period_s);
  EXPECT_LT(d->new_period_s * 1.1, d->current_period_s);
  double optimum = brute_force(w, factor).period;
  EXPECT_GE(d->new_period_s, optimum);
  std::printf("14 nodes: heuristic %.4g ms, exhaustive optimum %.4g ms\n", d->new_period_s * 1e3,
              optimum * 1e3);
}

} // namespace
} // namespace edgepipe::runtime
