// planner_scaling: EdgePipe's scaling result reproduced by the cost model.
// ViT-Large and ViT-Huge on 1..16 devices (8 MinnowBoard E3845 2 GB + 8 RCC-VE
// C2558 8 GB, 1 Gbit/s) from examples/profiles (derived from PipeEdge's
// ViT-Base block times, see examples/profiles/README.md). Devices join in the
// order rcc-0, mb-0, rcc-1, mb-1, ...; speedup = throughput over the best
// single-device throughput. Prints markdown tables (planner/README.md).
//
// A second scenario gives the MinnowBoards a 50 Mbit/s link (e.g. Wi-Fi):
// heterogeneous bandwidth, which PipeDream's partitioner cannot see.
//
//   bench_planner_scaling [PROFILE_DIR] [--simulate]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "config/profiles_io.hpp"
#include "planner/baselines.hpp"
#include "planner/partition.hpp"
#include "planner/simulator.hpp"

using namespace edgepipe;
using namespace edgepipe::planner;

namespace {

struct row {
  double ours = 0, even = 0, pipedream = 0; // periods; 0 = does not fit
};

double period_or_zero(const expected<plan>& p) {
  return p ? p->period_s : 0.0;
}

std::string speedup(double base, double period) {
  if (period <= 0) return "OOM";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", base / period);
  return buf;
}

} // namespace

int main(int argc, char** argv) {
  std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";
  bool simulate_too = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--simulate"))
      simulate_too = true;
    else
      dir = argv[i];
  }
  auto profiles =
      config::read_profiles(dir + "/models.yml", dir + "/device_types.yml", dir + "/devices.yml");
  if (!profiles) {
    std::fprintf(stderr, "%s\n", profiles.error().message.c_str());
    return 1;
  }
  const char* models[] = {"google/vit-large-patch16-224", "google/vit-huge-patch14-224-in21k"};
  const char* labels[] = {"ViT-L", "ViT-H"};
  const double paper_16[] = {10.59, 11.88};
  cost_options opts; // PipeEdge's: microbatch 8, float32, 2 + 2 buffers

  struct scenario {
    const char* label;
    double mb_mbps; // MinnowBoard bandwidth
  };
  const scenario scenarios[] = {{"1 Gbit/s everywhere (EdgePipe's testbed)", 1000},
                                {"MinnowBoards at 50 Mbit/s", 50}};
  for (const scenario& sc : scenarios)
    for (int m = 0; m < 2; ++m) {
      // Order: rcc-0, mb-0, rcc-1, mb-1, ...
      std::vector<std::string> order;
      for (int k = 0; k < 8; ++k) {
        order.push_back("rcc-" + std::to_string(k));
        order.push_back("mb-" + std::to_string(k));
      }
      std::vector<row> rows(17);
      std::vector<double> plan_ms(17);
      std::vector<std::string> layouts(17);
      for (int n = 1; n <= 16; ++n) {
        profile_set ps = *profiles;
        ps.device_types.at("MinnowBoard-E3845").bw_mbps = sc.mb_mbps;
        for (auto& [type, hosts] : ps.devices) {
          std::vector<std::string> kept;
          for (const auto& h : hosts)
            for (int k = 0; k < n; ++k)
              if (order[k] == h) kept.push_back(h);
          hosts = kept;
        }
        auto inst = make_instance(ps, models[m], "torch.float32", opts);
        if (!inst) {
          std::fprintf(stderr, "%s\n", inst.error().message.c_str());
          return 1;
        }
        std::vector<int> hosts; // devices in joining order
        for (int k = 0; k < n; ++k)
          for (int d = 0; d < inst->num_devices(); ++d)
            if (inst->devices[d].host == order[k]) hosts.push_back(d);
        auto t0 = std::chrono::steady_clock::now();
        auto best = optimal_partition(*inst);
        plan_ms[n] =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        rows[n].ours = best ? best->best.period_s : 0;
        if (best) layouts[n] = describe(*inst, best->best);
        rows[n].even = period_or_zero(even_split(*inst, hosts));
        rows[n].pipedream = period_or_zero(pipedream_split(*inst, hosts, hosts.front()));
        if (simulate_too && best) {
          auto sim = simulate(sim_config_for(*inst, best->best, 4, 200));
          if (sim)
            std::fprintf(stderr, "%s n=%d plan %.4f/s simulated %.4f/s\n", labels[m], n,
                         1 / best->best.period_s, sim->throughput);
        }
      }
      // The single-device reference: the best one-device plan (an RCC-VE).
      double base = rows[1].ours;
      std::printf("\n### %s, %s: speedup over one RCC-VE (%.2f s per microbatch of 8)\n\n",
                  labels[m], sc.label, base);
      std::printf(
          "| devices | ours | even split | PipeDream-style | ours / PipeDream | plan ms |\n");
      std::printf("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
      double best_ratio = 0;
      for (int n = 1; n <= 16; ++n) {
        std::string ratio = "-";
        if (rows[n].pipedream > 0 && rows[n].ours > 0) {
          char buf[32];
          double r = rows[n].pipedream / rows[n].ours;
          best_ratio = std::max(best_ratio, r);
          std::snprintf(buf, sizeof buf, "%.2fx", r);
          ratio = buf;
        } else if (rows[n].ours > 0) {
          ratio = "PipeDream OOM";
        }
        std::printf("| %d | %s | %s | %s | %s | %.1f |\n", n, speedup(base, rows[n].ours).c_str(),
                    speedup(base, rows[n].even).c_str(), speedup(base, rows[n].pipedream).c_str(),
                    ratio.c_str(), plan_ms[n]);
      }
      std::printf("\npaper at 16 devices: %.2fx; ours %.2fx. ", paper_16[m], base / rows[16].ours);
      if (m == 1)
        std::printf("16 vs 4 devices: paper 3.93x, ours %.2fx. ", rows[4].ours / rows[16].ours);
      std::printf("Best ours/PipeDream-style: %.2fx (paper: up to 4.16x).\n", best_ratio);
      std::printf("16-device plan: %s\n", layouts[16].c_str());
    }
  return 0;
}
