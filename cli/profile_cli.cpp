#include "cli/profile_cli.hpp"

#include <iostream>

#include "cli/command.hpp"
#include "config/profiles_io.hpp"

namespace edgepipe::cli {

void add_profile_options(args& a) {
  a.option("models", "FILE", "models.yml (PipeEdge format)", true);
  a.option("device-types", "FILE", "device_types.yml (PipeEdge format)", true);
  a.option("devices", "FILE", "devices.yml (PipeEdge format)", true);
  a.option("links", "FILE", "links.yml: bandwidth (and bits) per ordered host pair");
  a.option("model", "NAME", "model name in the models file", true);
  a.option("microbatch", "B", "microbatch size (the profile's batch_size)", false, "8");
  a.option("dtype", "NAME", "profile dtype: torch.float32, torch.bfloat16 or torch.int8", false,
           "torch.float32");
  a.option("cost-model", "NAME", "pipeedge (PipeEdge's arithmetic) or edgepipe (codec frames)",
           false, "pipeedge");
  a.option("bits", "N", "edgepipe: wire bitwidth of links without one in links.yml (0 = f32)",
           false, "0");
  a.option("buffers-in", "N", "receive buffers per stage (PipeEdge --buffers-in)", false, "2");
  a.option("buffers-out", "N", "send buffers per stage (PipeEdge --buffers-out)", false, "2");
}

int read_profile_instance(const args& a, planner::instance& out) {
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

  auto profiles = config::read_profiles(a.get("models"), a.get("device-types"), a.get("devices"),
                                        a.has("links") ? a.get("links") : std::string());
  if (!profiles) return a.usage_error(profiles.error().message);
  std::vector<std::string> warnings;
  auto inst = planner::make_instance(*profiles, a.get("model"), a.get("dtype"), opts, &warnings);
  for (const auto& w : warnings) a.usage_error("warning: " + w);
  if (!inst) return a.usage_error(inst.error().message);
  out = std::move(*inst);
  return -1;
}

} // namespace edgepipe::cli
