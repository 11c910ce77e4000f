// One pipeline stage's compute in a loop, as a stage process runs it: the
// model's layers A..B on a fixed microbatch, again and again for --seconds.
// Prints one JSON line: mean (wall / runs), median and p90 ms per microbatch, runs, and the
// process's CPU seconds. bench/shared_cores.sh starts one or two of these at
// once under each OpenMP set-up to see what sharing cores does to a stage.
//
//   bench_stage_loop --model DIR|vit-base [--layers A:B] [--threads N]
//                    [--microbatch B] [--dtype f32|bf16|int8] [--seconds S]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "ops/vit_model.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

int main(int argc, char** argv) {
  std::string model = "vit-base", layers, dt = "f32";
  int threads = 2, batch = 8;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model")
      model = v;
    else if (k == "--layers")
      layers = v;
    else if (k == "--threads")
      threads = std::atoi(v.c_str());
    else if (k == "--microbatch")
      batch = std::atoi(v.c_str());
    else if (k == "--dtype")
      dt = v;
    else if (k == "--seconds")
      seconds = std::atof(v.c_str());
    else {
      std::fprintf(stderr, "bench_stage_loop: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto dtype_v = parse_dtype(dt);
  if (!dtype_v) return std::fprintf(stderr, "%s\n", dtype_v.error().message.c_str()), 2;
  model_options o;
  o.compute = *dtype_v;
  o.threads = threads;
  auto named = named_vit_config(model);
  auto m = named ? vit_model::synthetic(*named, 1, o) : vit_model::load(model, o);
  if (!m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), 2;
  const vit_config& c = m->config();
  int first = 1, last = m->num_layers();
  if (!layers.empty() && std::sscanf(layers.c_str(), "%d:%d", &first, &last) != 2)
    return std::fprintf(stderr, "--layers wants A:B\n"), 2;
  // The stage's input: run the layers before it once (untimed).
  activation in;
  in.main = tensor::zeros({batch, c.num_channels, c.image_size, c.image_size});
  for (size_t i = 0; i < in.main.data.size(); ++i) in.main.data[i] = std::sin(0.01f * float(i));
  if (first > 1) {
    model_options all = o;
    auto pre = named ? vit_model::synthetic(*named, 1, all) : vit_model::load(model, all);
    auto a = pre->forward(1, first - 1, in);
    if (!a) return std::fprintf(stderr, "%s\n", a.error().message.c_str()), 2;
    in = std::move(*a);
  }
  auto warm = m->forward(first, last, in);
  if (!warm) return std::fprintf(stderr, "%s\n", warm.error().message.c_str()), 2;
  std::vector<double> ms;
  timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = m->forward(first, last, in);
    auto t1 = std::chrono::steady_clock::now();
    if (!out) return std::fprintf(stderr, "%s\n", out.error().message.c_str()), 1;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (std::chrono::duration<double>(t1 - start).count() >= seconds) break;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  std::sort(ms.begin(), ms.end());
  const double cpu = double(c1.tv_sec - c0.tv_sec) + 1e-9 * double(c1.tv_nsec - c0.tv_nsec);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"mean_ms\": %.4f, \"median_ms\": %.4f, \"p90_ms\": %.4f, \"runs\": %zu, \"cpu_s\": %.3f, "
      "\"wall_s\": %.3f, \"threads\": %d, \"OMP_WAIT_POLICY\": \"%s\", "
      "\"GOMP_SPINCOUNT\": \"%s\"}\n",
      1e3 * wall / double(ms.size()), ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.size(), cpu,
      wall, threads, policy ? policy : "", spin ? spin : "");
  return 0;
}
