// edgepipe profile: measures this device's time per planner layer and writes
// PipeEdge's models.yml and device_types.yml (extending existing files).
//
// The measurement is ops::profile_layers (the same as a node's profile
// request): block by block, only that block's weights loaded, each layer on
// the previous layer's real output, one warm-up, then either sustained (the
// default: the layer runs back to back for --sustain-ms and its time is the
// mean, preemption included, as a stage computing microbatch after
// microbatch meets it) or the median of --repeats runs (--sustain-ms 0).
// --layers-limit N measures blocks 1..N and the last block and gives the
// blocks in between block N's times. Memory per layer is the size of its
// weights at float32 for every dtype (ops::model_descriptor; models.yml has
// one entry per model, see below); output sizes are the real activations'.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sys/stat.h>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "config/profiles_io.hpp"
#include "ops/layer_descriptor.hpp"
#include "ops/layer_profiler.hpp"

namespace edgepipe::cli {

namespace {

int run_profile(int argc, char** argv) {
  args a("profile",
         "Measure this device's time per planner layer and write PipeEdge's models.yml\n"
         "and device_types.yml. Each layer runs back to back for --sustain-ms after a\n"
         "warm-up and its time is the mean, so other processes on the same cores (the\n"
         "other stages of a pipeline on this machine) count as they will in a run:\n"
         "start them first to profile with them. --sustain-ms 0: the median of --repeats\n"
         "runs instead (an uncontended core's time).");
  a.option("model", "DIR|NAME",
           "model directory, or a published name (synthetic weights) of any family:\n"
           "google/vit-base-patch16-224, facebook/deit-tiny-distilled-patch16-224,\n"
           "bert-base-uncased, ... or vit-base, deit-small, bert-large, ...",
           true);
  a.option("model-name", "NAME",
           "name in the files (default: the PipeEdge name, or the directory's name)");
  a.option("microbatch", "B", "microbatch size", false, "8");
  a.option("dtype", "f32|bf16|int8", "compute dtype (profiles are kept per dtype)", false, "f32");
  a.option("threads", "N", "oneDNN threads", false, "1");
  a.option("device-type", "NAME", "device type name to write", true);
  a.option("memory-mb", "M", "memory this device offers to the pipeline, MB", true);
  a.option("bandwidth-mbps", "W", "this device's network bandwidth, Mbit/s", true);
  a.option("out-dir", "DIR", "where models.yml and device_types.yml go", false, ".");
  a.option("repeats", "N", "timed runs per layer, at least", false, "3");
  a.option("sustain-ms", "MS", "per layer: run back to back this long, keep the mean (0: median)",
           false, "100");
  a.option("layers-limit", "N", "measure blocks 1..N and the last block; replicate block N", false,
           "0");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  int64_t batch = 0, threads = 0, repeats = 0, limit = 0, sustain_ms = 0;
  double mem_mb = 0, bw = 0;
  if (!a.get_int("microbatch", batch, 1, 4096) || !a.get_int("threads", threads, 1, 1024) ||
      !a.get_int("repeats", repeats, 1, 1000) || !a.get_int("layers-limit", limit, 0, 1000) ||
      !a.get_int("sustain-ms", sustain_ms, 0, 600000) || !a.get_double("memory-mb", mem_mb) ||
      !a.get_double("bandwidth-mbps", bw))
    return exit_usage;
  if (mem_mb <= 0 || bw <= 0) return a.usage_error("--memory-mb and --bandwidth-mbps must be > 0");
  auto dt = ops::parse_dtype(a.get("dtype"));
  if (!dt) return a.usage_error(dt.error().message);

  const std::string src = a.get("model");
  // A published name (any family: vit-base, deit-small, bert-base-uncased, ...) is synthetic.
  const bool synthetic = !ops::pipeedge_model_name(src).empty();
  ops::model_source source;
  std::string name = a.get("model-name");
  if (synthetic) {
    auto c = ops::named_model_config(src);
    if (!c) return a.usage_error(c.error().message);
    source = ops::model_source::synthetic(*c, 42);
    if (name.empty()) name = ops::pipeedge_model_name(src);
  } else {
    auto s = ops::model_source::from_dir(src);
    if (!s) return a.usage_error(s.error().message);
    source = *s;
    if (name.empty()) name = src.substr(src.find_last_of('/') + 1);
  }
  const ops::model_descriptor desc = ops::model_descriptor::of(source.config);
  const int L = desc.num_layers();

  ops::profile_options po;
  po.microbatch = static_cast<int>(batch);
  po.repeats = static_cast<int>(repeats);
  po.sustain_s = static_cast<double>(sustain_ms) / 1e3;
  po.threads = static_cast<int>(threads);
  po.compute = *dt;
  po.measured_blocks = static_cast<int>(limit);
  po.progress = [](int layer, double s) { std::fprintf(stderr, "layer %d: %.6f s\n", layer, s); };
  auto prof = ops::profile_layers(source, po);
  if (!prof) return a.usage_error(prof.error().message);
  const bool replicated =
      std::find(prof->measured.begin(), prof->measured.end(), false) != prof->measured.end();
  const std::vector<double>& time_s = prof->time_s;

  // models.yml holds one entry per model whatever the dtype, so a profile at
  // bf16 or int8 must not shrink it: weights are counted at float32, a bound
  // that is safe for every dtype (the times, in device_types.yml, are per dtype).
  planner::model_spec m;
  m.layers = L;
  m.parameters_in = desc.input_elements();
  m.parameters_out = prof->output_elements;
  for (const auto& layer : desc.layers())
    m.mem_mb.push_back(ops::to_mb(layer.weight_bytes(ops::dtype::f32)));

  const std::string dir = a.get("out-dir");
  mkdir(dir.c_str(), 0755);
  const std::string models_path = dir + "/models.yml", types_path = dir + "/device_types.yml";
  config::models_map models;
  config::device_types_map types;
  struct stat st;
  if (stat(models_path.c_str(), &st) == 0) {
    auto r = config::read_models(models_path);
    if (!r) return a.usage_error(r.error().message);
    models = *r;
  }
  if (stat(types_path.c_str(), &st) == 0) {
    auto r = config::read_device_types(types_path);
    if (!r) return a.usage_error(r.error().message);
    types = *r;
  }
  models[name] = m;
  auto& type = types[a.get("device-type")];
  type.mem_mb = mem_mb;
  type.bw_mbps = bw;
  // PipeEdge's files name dtypes as torch does; the planner picks the entry by it.
  const std::string dtype_name = *dt == ops::dtype::bf16   ? "torch.bfloat16"
                                 : *dt == ops::dtype::int8 ? "torch.int8"
                                                           : "torch.float32";
  auto& list = type.model_profiles[name];
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const planner::model_profile_entry& p) {
                              return p.dtype == dtype_name && p.batch_size == batch;
                            }),
             list.end());
  list.push_back({dtype_name, batch, time_s});
  if (auto ok = config::write_text(models_path, config::emit_models(models)); !ok)
    return a.usage_error(ok.error().message);
  if (auto ok = config::write_text(types_path, config::emit_device_types(types)); !ok)
    return a.usage_error(ok.error().message);
  double total = 0;
  for (double t : time_s) total += t;
  std::printf("%s on %s: %d layers, %.4f s per microbatch of %lld (%s, %lld threads)%s\n",
              name.c_str(), a.get("device-type").c_str(), L, total, static_cast<long long>(batch),
              dtype_name.c_str(), static_cast<long long>(threads),
              replicated ? " (blocks replicated, see --help)" : "");
  std::printf("wrote %s and %s\n", models_path.c_str(), types_path.c_str());
  return exit_ok;
}

const command_registrar registrar({"profile", "measure per-layer times into PipeEdge profiles",
                                   run_profile});

} // namespace

} // namespace edgepipe::cli
