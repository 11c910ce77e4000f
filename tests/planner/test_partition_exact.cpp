// The optimal partition against an exhaustive search on hundreds of random
// small instances. The search and the stage costs here are written out
// independently of planner/ (PipeEdge's formulas, planner/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "planner/partition.hpp"
#include "planner/wire_size.hpp"

using namespace edgepipe::planner;

namespace {

const double inf = std::numeric_limits<double>::infinity();

// --- an independent evaluator ---------------------------------------------
double bw_of(const instance& in, int a, int b) {
  size_t n = in.devices.size();
  if (!in.link_mbps.empty() && in.link_mbps[a * n + b] >= 0) return in.link_mbps[a * n + b];
  return std::min(in.devices[a].bw_mbps, in.devices[b].bw_mbps);
}

// Period of stages (device, first, last), or inf if a stage does not fit.
double period_of(const instance& in, const std::vector<std::array<int, 3>>& st) {
  const int64_t B = in.options.batch_size, E = in.options.dtype_bytes;
  double period = 0;
  for (size_t k = 0; k < st.size(); ++k) {
    int d = st[k][0], l = st[k][1], r = st[k][2];
    double comp = 0, weights = 0;
    for (int i = l; i <= r; ++i) comp += in.devices[d].time_s[i - 1];
    for (int i = l; i <= r; ++i) weights += in.mem_mb[i - 1] * 1024 * 1024;
    int64_t bytes_in = E * B * (l == 1 ? in.parameters_in : in.parameters_out[l - 2]);
    int64_t bytes_out = E * B * in.parameters_out[r - 1];
    int64_t buffers = (l > 1 ? bytes_in * in.options.buffers_in : 0) +
                      bytes_out * in.options.buffers_out + bytes_in + bytes_out;
    if (!(in.devices[d].mem_mb * 1024 * 1024 > weights + static_cast<double>(buffers))) return inf;
    double send = 0;
    if (k + 1 < st.size()) {
      int next = st[k + 1][0];
      int64_t wire = bytes_out;
      if (in.options.model == cost_model::edgepipe) {
        int bits = in.link_bits.empty() ? in.options.default_bits
                                        : in.link_bits[d * in.devices.size() + next];
        wire = frame_bytes(B * in.parameters_out[r - 1], bits);
      }
      send = static_cast<double>(wire) / (bw_of(in, d, next) * 1024 * 1024 / 8);
    }
    period = std::max(period, std::max(comp, send));
  }
  return period;
}

// Every ordered choice of distinct devices and every split of the layers.
double exhaustive(const instance& in) {
  const int N = in.num_devices(), L = in.layers;
  double best = inf;
  std::vector<std::array<int, 3>> st;
  std::vector<bool> used(N, false);
  std::function<void(int)> go = [&](int next_layer) {
    if (next_layer > L) {
      best = std::min(best, period_of(in, st));
      return;
    }
    for (int d = 0; d < N; ++d) {
      if (used[d]) continue;
      used[d] = true;
      for (int r = next_layer; r <= L; ++r) {
        st.push_back({d, next_layer, r});
        go(r + 1);
        st.pop_back();
      }
      used[d] = false;
    }
  };
  go(1);
  return best;
}

// --- random instances: several types, several devices each, tight memory,
// slow links --------------------------------------------------------------
instance random_instance(std::mt19937& rng, bool links, cost_model model) {
  std::uniform_real_distribution<double> u01(0, 1);
  instance in;
  in.layers = 3 + static_cast<int>(rng() % 5); // 3..7
  in.parameters_in = 1000 + rng() % 3000;
  for (int l = 0; l < in.layers; ++l) {
    in.parameters_out.push_back(500 + rng() % 4000);
    in.mem_mb.push_back(0.5 + 4 * u01(rng));
  }
  in.options.model = model;
  in.options.batch_size = 1 + rng() % 8;
  in.options.buffers_in = rng() % 3;
  in.options.buffers_out = rng() % 3;
  in.options.default_bits = static_cast<int>(rng() % 9);
  double total_mem = 0;
  for (double m : in.mem_mb) total_mem += m;
  int types = 2 + static_cast<int>(rng() % 2);
  int budget = links ? 6 : 7;
  for (int t = 0; t < types && static_cast<int>(in.devices.size()) < budget; ++t) {
    device proto;
    proto.type = "type" + std::to_string(t);
    proto.mem_mb = total_mem * (0.25 + 0.9 * u01(rng)); // often too small for the model
    proto.bw_mbps = 0.5 + 20 * u01(rng);                // slow: sends matter
    double speed = 0.3 + 2 * u01(rng);
    for (int l = 0; l < in.layers; ++l) proto.time_s.push_back(speed * (0.05 + u01(rng)));
    int count = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < count && static_cast<int>(in.devices.size()) < budget; ++k) {
      device d = proto;
      d.host = proto.type + "-" + std::to_string(k);
      in.devices.push_back(d);
    }
  }
  if (links) {
    size_t n = in.devices.size();
    in.link_mbps.assign(n * n, -1);
    in.link_bits.assign(n * n, in.options.default_bits);
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b < n; ++b) {
        if (a == b || u01(rng) < 0.2) continue; // some pairs fall back to bw_Mbps
        in.link_mbps[a * n + b] = 0.3 + 30 * u01(rng);
        in.link_bits[a * n + b] = static_cast<int>(rng() % 17);
      }
  }
  return in;
}

std::vector<std::array<int, 3>> as_triples(const plan& p) {
  std::vector<std::array<int, 3>> st;
  for (const auto& s : p.stages) st.push_back({s.device, s.first, s.last});
  return st;
}

void check_against_exhaustive(uint32_t seed, bool links, cost_model model, int* feasible) {
  std::mt19937 rng(seed);
  instance in = random_instance(rng, links, model);
  double truth = exhaustive(in);
  auto got = optimal_partition(in);
  if (truth == inf) {
    ASSERT_FALSE(got.has_value()) << "seed " << seed << ": found a plan where none fits";
    EXPECT_EQ(got.error().code, edgepipe::errc::infeasible);
    return;
  }
  ASSERT_TRUE(got.has_value()) << "seed " << seed << ": " << got.error().message;
  EXPECT_TRUE(got->exact);
  EXPECT_EQ(got->best.period_s, truth) << "seed " << seed << " plan " << describe(in, got->best);
  EXPECT_EQ(period_of(in, as_triples(got->best)), truth) << "seed " << seed;
  ++*feasible;
}

} // namespace

TEST(PartitionExact, CountDpMatchesExhaustiveSearch) {
  int feasible = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed)
    check_against_exhaustive(seed, false, cost_model::pipeedge, &feasible);
  EXPECT_GT(feasible, 150); // most instances must have a plan, or the test proves little
}

TEST(PartitionExact, CountDpWithWireFramesMatchesExhaustiveSearch) {
  int feasible = 0;
  for (uint32_t seed = 1001; seed <= 1150; ++seed)
    check_against_exhaustive(seed, false, cost_model::edgepipe, &feasible);
  EXPECT_GT(feasible, 75);
}

TEST(PartitionExact, BitmaskDpWithLinksMatchesExhaustiveSearch) {
  int feasible = 0;
  for (uint32_t seed = 2001; seed <= 2200; ++seed)
    check_against_exhaustive(seed, true, seed % 2 ? cost_model::edgepipe : cost_model::pipeedge,
                             &feasible);
  EXPECT_GT(feasible, 100);
}

TEST(PartitionExact, LinksHeuristicIsValidAndNeverBeatsTheOptimum) {
  double worst_gap = 0, sum_gap = 0;
  int compared = 0, optimal = 0;
  for (uint32_t seed = 3001; seed <= 3150; ++seed) {
    std::mt19937 rng(seed);
    instance in = random_instance(rng, true, cost_model::pipeedge);
    auto exact = optimal_partition(in);
    partition_options o;
    o.exact_links_limit = 0; // force the heuristic
    auto heur = optimal_partition(in, o);
    if (!exact) {
      EXPECT_FALSE(heur.has_value());
      continue;
    }
    if (!heur) continue; // the heuristic may miss a feasible plan
    EXPECT_FALSE(heur->exact);
    EXPECT_EQ(period_of(in, as_triples(heur->best)), heur->best.period_s);
    EXPECT_GE(heur->best.period_s, exact->best.period_s) << "seed " << seed;
    EXPECT_LE(heur->lower_bound_s, exact->best.period_s) << "seed " << seed;
    double gap = heur->best.period_s / exact->best.period_s - 1;
    worst_gap = std::max(worst_gap, gap);
    sum_gap += gap;
    optimal += gap == 0;
    ++compared;
  }
  EXPECT_GT(compared, 50);
  std::printf("links heuristic: %d instances, %d optimal, mean gap %.1f%%, worst gap %.1f%%\n",
              compared, optimal, 100 * sum_gap / compared, 100 * worst_gap);
}

TEST(PartitionExact, InfeasibleNamesTheTightestDevice) {
  instance in;
  in.layers = 2;
  in.parameters_in = 10;
  in.parameters_out = {10, 10};
  in.mem_mb = {5, 50};
  in.devices.push_back({"small-0", "small", 20, 100, {1, 1}});
  in.devices.push_back({"big-0", "big", 40, 100, {1, 1}});
  auto got = optimal_partition(in);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, edgepipe::errc::infeasible);
  EXPECT_NE(got.error().message.find("layer 2"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("big-0"), std::string::npos) << got.error().message;
}
