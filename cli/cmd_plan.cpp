// edgepipe plan: the optimal partition from PipeEdge's profile files.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/profile_cli.hpp"
#include "planner/partition.hpp"

namespace edgepipe::cli {

namespace {

int run_plan(int argc, char** argv) {
  args a("plan", "Choose the partition of a model's layers over devices that maximises\n"
                 "throughput (smallest period) within each device's memory.");
  add_profile_options(a);
  a.option("exact-links-limit", "N", "with --links, exact DP up to N devices", false, "12");
  a.flag("json", "print the plan as one JSON object");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  planner::instance inst;
  if (int rc = read_profile_instance(a, inst); rc >= 0) return rc;
  int64_t v = 0;
  planner::partition_options popts;
  if (!a.get_int("exact-links-limit", v, 0, 20)) return exit_usage;
  popts.exact_links_limit = static_cast<int>(v);

  auto result = planner::optimal_partition(inst, popts);
  if (!result) {
    std::cerr << "edgepipe plan: " << result.error().message << "\n";
    return result.error().code == errc::internal ? exit_failure : exit_usage;
  }
  const planner::plan& p = result->best;
  if (a.flag_set("json")) {
    nlohmann::json j;
    j["period_s"] = p.period_s;
    j["throughput_per_s"] = planner::throughput(p);
    j["method"] = result->method;
    j["exact"] = result->exact;
    j["stages"] = nlohmann::json::array();
    for (const auto& s : p.stages)
      j["stages"].push_back({{"host", inst.devices[s.device].host},
                             {"type", inst.devices[s.device].type},
                             {"first", s.first},
                             {"last", s.last},
                             {"compute_s", s.compute_s},
                             {"send_s", s.send_s},
                             {"memory_mb", s.memory_mb}});
    std::cout << j.dump() << "\n";
    return exit_ok;
  }
  std::printf("period %.6f s (%.4f microbatches/s), %zu stages, %s%s\n", p.period_s,
              planner::throughput(p), p.stages.size(), result->method.c_str(),
              result->exact ? "" : " (heuristic)");
  std::printf("%-16s %-20s %7s %7s %10s %10s %10s\n", "host", "type", "first", "last", "compute_s",
              "send_s", "memory_MB");
  for (const auto& s : p.stages)
    std::printf("%-16s %-20s %7d %7d %10.6f %10.6f %10.1f\n", inst.devices[s.device].host.c_str(),
                inst.devices[s.device].type.c_str(), s.first, s.last, s.compute_s, s.send_s,
                s.memory_mb);
  return exit_ok;
}

const command_registrar registrar({"plan", "optimal partition from PipeEdge profile files",
                                   run_plan});

} // namespace

} // namespace edgepipe::cli
