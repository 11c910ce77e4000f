// planner_time: how long the exact partition takes as layers and devices
// grow. Four device types (the two EdgePipe boards of examples/profiles plus
// a 4 GB MinnowBoard variant 10% faster and an RCC-VE behind a 100 Mbit/s
// link 10% slower), equal counts of each; models are ViT-Huge's block
// profile repeated to the layer count (128 layers = ViT-Huge).
// Targets (issue 4): 128 layers x 16 devices < 1 s, x 64 devices < 30 s.
// Also measures the links heuristic's gap to the exact bitmask DP.
//
//   bench_planner_time [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "config/profiles_io.hpp"
#include "planner/partition.hpp"

using namespace edgepipe;
using namespace edgepipe::planner;

namespace {

struct type_proto {
  const char* name;
  const char* base; // which examples/profiles type it scales
  double time_scale, mem_mb, bw_mbps;
};
const type_proto protos[] = {{"MinnowBoard-E3845", "MinnowBoard-E3845", 1.0, 2048, 1000},
                             {"MinnowBoard-4G", "MinnowBoard-E3845", 0.9, 4096, 1000},
                             {"RCC-VE-C2558", "RCC-VE-C2558", 1.0, 8192, 1000},
                             {"RCC-VE-100M", "RCC-VE-C2558", 1.1, 8192, 100}};

instance make(const profile_set& ps, int layers, int per_type) {
  const std::string vith = "google/vit-huge-patch14-224-in21k";
  const model_spec& m = ps.models.at(vith);
  instance in;
  in.layers = layers;
  in.parameters_in = m.parameters_in;
  for (int l = 0; l < layers; ++l) {
    int src = 4 + l % 4; // a middle block's pattern
    if (l == 0) src = 0;
    if (l == layers - 1) src = m.layers - 1;
    in.parameters_out.push_back(m.parameters_out[src]);
    in.mem_mb.push_back(m.mem_mb[src]);
  }
  for (const auto& p : protos) {
    const auto& times = ps.device_types.at(p.base).model_profiles.at(vith).front().time_s;
    std::vector<double> t;
    for (int l = 0; l < layers; ++l) {
      int src = 4 + l % 4;
      if (l == 0) src = 0;
      if (l == layers - 1) src = m.layers - 1;
      t.push_back(times[src] * p.time_scale);
    }
    for (int k = 0; k < per_type; ++k)
      in.devices.push_back(
          {std::string(p.name) + "-" + std::to_string(k), p.name, p.mem_mb, p.bw_mbps, t});
  }
  return in;
}

double seconds_of(const instance& in, const partition_options& o, double* period, int repeats) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto res = optimal_partition(in, o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    *period = res ? res->best.period_s : -1;
  }
  return best;
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
  std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";
  auto ps =
      config::read_profiles(dir + "/models.yml", dir + "/device_types.yml", dir + "/devices.yml");
  if (!ps) {
    std::fprintf(stderr, "%s\n", ps.error().message.c_str());
    return 1;
  }
  std::printf("### Exact count DP: seconds to plan (4 device types, equal counts)\n\n");
  std::printf("| layers \\ devices | 8 | 16 | 32 | 48 | 64 |\n| ---: | ---: | ---: | ---: | ---: | "
              "---: |\n");
  const int layer_counts[] = {32, 64, 128, 256};
  const int device_counts[] = {8, 16, 32, 48, 64};
  for (int layers : layer_counts) {
    std::printf("| %d |", layers);
    for (int devices : device_counts) {
      if (quick && (devices > 16 || layers > 128)) {
        std::printf(" - |");
        continue;
      }
      instance in = make(*ps, layers, devices / 4);
      double period = 0;
      double s = seconds_of(in, {}, &period, devices <= 16 ? 3 : 1);
      std::printf(" %.3f |", s);
      std::fflush(stdout);
    }
    std::printf("\n");
  }

  // The links heuristic against the exact bitmask DP (where it runs) and
  // against its own lower bound (the DP over types with each type pair's
  // fastest link) beyond.
  std::printf("\n### Links heuristic (ViT-Huge, random per-pair link speeds)\n\n");
  std::printf("| devices | link Mbit/s | instances | mean gap | worst gap | gap measured against "
              "| exact s (max) | heuristic s (max) |\n");
  std::printf("| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |\n");
  std::mt19937 rng(7);
  struct range {
    double lo, hi;
  };
  for (range r : {range{20, 1000}, range{2, 100}}) {
    for (int n : {8, 10, 12, 16, 32, 64}) {
      if (quick && n > 12) continue;
      const bool exact_runs = n <= 12;
      double sum_gap = 0, worst = 0, t_exact = 0, t_heur = 0;
      int count = 0;
      for (int trial = 0; trial < (quick ? 2 : n <= 16 ? 8 : 3); ++trial) {
        instance in = make(*ps, 128, (n + 3) / 4);
        in.devices.resize(n);
        size_t N = in.devices.size();
        in.link_mbps.assign(N * N, -1);
        in.link_bits.assign(N * N, 0);
        std::uniform_real_distribution<double> speed(r.lo, r.hi);
        for (size_t a = 0; a < N; ++a)
          for (size_t b = 0; b < N; ++b)
            if (a != b) in.link_mbps[a * N + b] = speed(rng);
        partition_options heur_o;
        heur_o.exact_links_limit = 0;
        auto t0 = std::chrono::steady_clock::now();
        auto h = optimal_partition(in, heur_o);
        t_heur = std::max(
            t_heur, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (!h) continue;
        double reference = h->lower_bound_s;
        if (exact_runs) {
          double pe = 0;
          t_exact = std::max(t_exact, seconds_of(in, {}, &pe, 1));
          if (pe <= 0) continue;
          reference = pe;
        }
        double gap = h->best.period_s / reference - 1;
        sum_gap += gap;
        worst = std::max(worst, gap);
        ++count;
      }
      std::printf("| %d | %.0f-%.0f | %d | %.2f%% | %.2f%% | %s | %s | %.3f |\n", n, r.lo, r.hi,
                  count, 100 * sum_gap / std::max(count, 1), 100 * worst,
                  exact_runs ? "exact optimum" : "lower bound",
                  exact_runs ? std::to_string(t_exact).substr(0, 5).c_str() : "-", t_heur);
      std::fflush(stdout);
    }
  }
  return 0;
}
