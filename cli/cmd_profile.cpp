// edgepipe profile: measures this device's time per planner layer and writes
// PipeEdge's models.yml and device_types.yml (extending existing files).
//
// Each layer runs on the previous layer's real output: one warm-up run, then
// --repeats timed runs, the median kept. --layers-limit N measures blocks
// 1..N and the last block (on block N's output, same shape), and gives the
// blocks in between block N's times: transformer blocks are identical in
// shape, so their times differ only by noise. Memory per layer is the size of
// its parameters at float32 (for every dtype); output sizes are the real activations'.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <sys/stat.h>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "config/profiles_io.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::cli {

namespace {

// Parameters of planner layer `layer` (1-based), as in ops/vit_model.hpp's split.
int64_t layer_parameters(const ops::vit_config& c, int layer) {
  const int64_t D = c.hidden_size, I = c.intermediate_size, P = c.patch_size;
  const int block = (layer - 1) / 4, part = (layer - 1) % 4;
  switch (part) {
  case 0: {
    int64_t n = 2 * D + 3 * (D * D + D);
    if (block == 0) n += c.num_channels * P * P * D + D + D + int64_t(c.tokens()) * D;
    return n;
  }
  case 1:
    return D * D + D;
  case 2:
    return 2 * D + D * I + I;
  default: {
    int64_t n = I * D + D;
    if (block == c.num_hidden_layers - 1) n += 2 * D + D * c.num_labels + c.num_labels;
    return n;
  }
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Times layers [first, last] of `model` starting from `cur`; leaves the last output in cur.
expected<void> time_layers(ops::vit_model& model, int first, int last, int repeats,
                           ops::activation& cur, int64_t batch, std::vector<double>& time_s,
                           std::vector<int64_t>& out_per_sample) {
  for (int l = first; l <= last; ++l) {
    auto warm = model.forward(l, l, cur); // warm-up: primitives created, caches filled
    if (!warm) return warm.error();
    std::vector<double> runs;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto out = model.forward(l, l, cur);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!out) return out.error();
      runs.push_back(s);
      if (r + 1 == repeats) warm = std::move(out);
    }
    time_s[l - 1] = median(runs);
    int64_t elems = warm->main.numel() + (warm->has_skip() ? warm->skip.numel() : 0);
    out_per_sample[l - 1] = elems / batch;
    cur = std::move(*warm);
    std::fprintf(stderr, "layer %d: %.6f s\n", l, time_s[l - 1]);
  }
  return {};
}

int run_profile(int argc, char** argv) {
  args a("profile", "Measure this device's time per planner layer (median of repeats after a\n"
                    "warm-up) and write PipeEdge's models.yml and device_types.yml.");
  a.option("model", "DIR|NAME", "model directory, or vit-base | vit-large | vit-huge (synthetic)",
           true);
  a.option("model-name", "NAME", "name in the files (default: google/vit-... or the directory)");
  a.option("microbatch", "B", "microbatch size", false, "8");
  a.option("dtype", "f32|bf16|int8", "compute dtype (profiles are kept per dtype)", false, "f32");
  a.option("threads", "N", "oneDNN threads", false, "1");
  a.option("device-type", "NAME", "device type name to write", true);
  a.option("memory-mb", "M", "memory this device offers to the pipeline, MB", true);
  a.option("bandwidth-mbps", "W", "this device's network bandwidth, Mbit/s", true);
  a.option("out-dir", "DIR", "where models.yml and device_types.yml go", false, ".");
  a.option("repeats", "N", "timed runs per layer (median kept)", false, "3");
  a.option("layers-limit", "N", "measure blocks 1..N and the last block; replicate block N", false,
           "0");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  int64_t batch = 0, threads = 0, repeats = 0, limit = 0;
  double mem_mb = 0, bw = 0;
  if (!a.get_int("microbatch", batch, 1, 4096) || !a.get_int("threads", threads, 1, 1024) ||
      !a.get_int("repeats", repeats, 1, 1000) || !a.get_int("layers-limit", limit, 0, 1000) ||
      !a.get_double("memory-mb", mem_mb) || !a.get_double("bandwidth-mbps", bw))
    return exit_usage;
  if (mem_mb <= 0 || bw <= 0) return a.usage_error("--memory-mb and --bandwidth-mbps must be > 0");
  auto dt = ops::parse_dtype(a.get("dtype"));
  if (!dt) return a.usage_error(dt.error().message);

  const std::string src = a.get("model");
  const bool synthetic = src == "vit-base" || src == "vit-large" || src == "vit-huge";
  ops::vit_config cfg;
  std::string name = a.get("model-name");
  if (synthetic) {
    auto c = ops::named_vit_config(src);
    if (!c) return a.usage_error(c.error().message);
    cfg = *c;
    if (name.empty())
      name = src == "vit-base"    ? "google/vit-base-patch16-224"
             : src == "vit-large" ? "google/vit-large-patch16-224"
                                  : "google/vit-huge-patch14-224-in21k";
  } else {
    auto c = ops::read_vit_config(src + "/config.json");
    if (!c) return a.usage_error(c.error().message);
    cfg = *c;
    if (name.empty()) name = src.substr(src.find_last_of('/') + 1);
  }
  const int blocks = cfg.num_hidden_layers, L = 4 * blocks;
  const int measured = limit > 0 && limit < blocks - 1 ? static_cast<int>(limit) : blocks;

  auto make_model = [&](int first, int last) {
    ops::model_options o;
    o.compute = *dt;
    o.threads = static_cast<int>(threads);
    o.first = first;
    o.last = last;
    return synthetic ? ops::vit_model::synthetic(cfg, 42, o) : ops::vit_model::load(src, o);
  };
  std::vector<double> time_s(L, 0);
  std::vector<int64_t> out_per_sample(L, 0);
  ops::activation cur;
  cur.main = ops::tensor::zeros({batch, cfg.num_channels, cfg.image_size, cfg.image_size});
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0, 1);
  for (float& x : cur.main.data) x = noise(rng);
  {
    auto model = make_model(1, 4 * measured);
    if (!model) return a.usage_error(model.error().message);
    auto ok = time_layers(*model, 1, 4 * measured, static_cast<int>(repeats), cur, batch, time_s,
                          out_per_sample);
    if (!ok) return a.usage_error(ok.error().message);
  }
  if (measured < blocks) {
    // The last block (with the head) on block `measured`'s output: same shape.
    auto model = make_model(L - 3, L);
    if (!model) return a.usage_error(model.error().message);
    auto ok = time_layers(*model, L - 3, L, static_cast<int>(repeats), cur, batch, time_s,
                          out_per_sample);
    if (!ok) return a.usage_error(ok.error().message);
    for (int l = 4 * measured + 1; l <= L - 4; ++l) {
      int like = 4 * (measured - 1) + (l - 1) % 4 + 1; // same sublayer of block `measured`
      time_s[l - 1] = time_s[like - 1];
      out_per_sample[l - 1] = out_per_sample[like - 1];
    }
  }

  // models.yml holds one entry per model whatever the dtype, so a profile at
  // bf16 or int8 must not shrink it: weights are counted at float32, a bound
  // that is safe for every dtype (the times, in device_types.yml, are per dtype).
  const double bytes_per_param = 4.0;
  planner::model_spec m;
  m.layers = L;
  m.parameters_in = int64_t(cfg.num_channels) * cfg.image_size * cfg.image_size;
  m.parameters_out = out_per_sample;
  for (int l = 1; l <= L; ++l)
    m.mem_mb.push_back(layer_parameters(cfg, l) * bytes_per_param / (1024.0 * 1024.0));

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
              measured < blocks ? " (blocks replicated, see --help)" : "");
  std::printf("wrote %s and %s\n", models_path.c_str(), types_path.c_str());
  return exit_ok;
}

const command_registrar registrar({"profile", "measure per-layer times into PipeEdge profiles",
                                   run_profile});

} // namespace

} // namespace edgepipe::cli
