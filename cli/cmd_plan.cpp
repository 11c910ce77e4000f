// edgepipe plan: the optimal partition from PipeEdge's profile files.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "config/profiles_io.hpp"
#include "planner/partition.hpp"

namespace edgepipe::cli {

namespace {

int run_plan(int argc, char** argv) {
  args a("plan", "Choose the partition of a model's layers over devices that maximises\n"
                 "throughput (smallest period) within each device's memory.");
  a.option("models", "FILE", "models.yml (PipeEdge format)", true);
  a.option("device-types", "FILE", "device_types.yml (PipeEdge format)", true);
  a.option("devices", "FILE", "devices.yml (PipeEdge format)", true);
  a.option("links", "FILE", "links.yml: bandwidth (and bits) per ordered host pair");
  a.option("model", "NAME", "model name in the models file", true);
  a.option("microbatch", "B", "microbatch size (the profile's batch_size)", false, "8");
  a.option("dtype", "NAME", "profile dtype", false, "torch.float32");
  a.option("cost-model", "NAME", "pipeedge (PipeEdge's arithmetic) or edgepipe (codec frames)",
           false, "pipeedge");
  a.option("bits", "N", "edgepipe: wire bitwidth of links without one in links.yml (0 = f32)",
           false, "0");
  a.option("buffers-in", "N", "receive buffers per stage (PipeEdge --buffers-in)", false, "2");
  a.option("buffers-out", "N", "send buffers per stage (PipeEdge --buffers-out)", false, "2");
  a.option("exact-links-limit", "N", "with --links, exact DP up to N devices", false, "12");
  a.flag("json", "print the plan as one JSON object");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  planner::cost_options opts;
  int64_t v = 0;
  if (!a.get_int("microbatch", v, 1, 1 << 20)) return exit_usage;
  opts.batch_size = v;
  if (!a.get_int("buffers-in", v, 0, 1000)) return exit_usage;
  opts.buffers_in = v;
  if (!a.get_int("buffers-out", v, 0, 1000)) return exit_usage;
  opts.buffers_out = v;
  if (!a.get_int("bits", v, 0, 16)) return exit_usage;
  opts.default_bits = static_cast<int>(v);
  auto model = planner::parse_cost_model(a.get("cost-model"));
  if (!model) return a.usage_error(model.error().message);
  opts.model = *model;
  planner::partition_options popts;
  if (!a.get_int("exact-links-limit", v, 0, 20)) return exit_usage;
  popts.exact_links_limit = static_cast<int>(v);

  auto profiles = config::read_profiles(a.get("models"), a.get("device-types"), a.get("devices"),
                                        a.has("links") ? a.get("links") : std::string());
  if (!profiles) return a.usage_error(profiles.error().message);
  std::vector<std::string> warnings;
  auto inst = planner::make_instance(*profiles, a.get("model"), a.get("dtype"), opts, &warnings);
  for (const auto& w : warnings) std::cerr << "edgepipe plan: warning: " << w << "\n";
  if (!inst) return a.usage_error(inst.error().message);
  auto result = planner::optimal_partition(*inst, popts);
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
      j["stages"].push_back({{"host", inst->devices[s.device].host},
                             {"type", inst->devices[s.device].type},
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
    std::printf("%-16s %-20s %7d %7d %10.6f %10.6f %10.1f\n", inst->devices[s.device].host.c_str(),
                inst->devices[s.device].type.c_str(), s.first, s.last, s.compute_s, s.send_s,
                s.memory_mb);
  return exit_ok;
}

const command_registrar registrar({"plan", "optimal partition from PipeEdge profile files",
                                   run_plan});

} // namespace

} // namespace edgepipe::cli
