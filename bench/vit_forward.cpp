// Model forward on oneDNN: images (or sequences) per second of a synthetic
// model (ViT-Base/16-224 by default; any published size of any family, e.g.
// deit-base, bert-base at 128 tokens) for batch x threads x dtype (f32, bf16,
// int8; int8 for ViT/DeiT only), the achieved GFLOPS (int8: GFLOPS-equivalent,
// the f32 FLOP count over the int8 time), and the f32 and s8s8 matmul peaks
// oneDNN reaches on this machine (for "x% of peak"). bench/vit_vs_pytorch.sh
// runs this next to PyTorch and prints the ratios. The counters say "images"
// for every family.
//
//   bench_vit_forward [--model NAME] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "ops/layer_descriptor.hpp"
#include "ops/vit_model.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

std::string model_name = "vit-base";

// Multiply-adds x 2 of one sample's forward: the embedding matmul (images),
// per block the Q/K/V, scores, context, output, fc1 and fc2 matmuls, the head.
double forward_flops(const model_config& c) {
  const model_descriptor desc = model_descriptor::of(c);
  return desc.flops(1, desc.num_layers());
}

// One model per (dtype, threads), created on first use (about a second each).
vit_model& model_for(dtype dt, int threads) {
  static std::map<std::pair<int, int>, std::unique_ptr<vit_model>> models;
  auto key = std::make_pair(static_cast<int>(dt), threads);
  auto it = models.find(key);
  if (it != models.end()) return *it->second;
  auto cfg = named_vit_config(model_name);
  if (!cfg) throw std::runtime_error(cfg.error().message);
  model_options o;
  o.compute = dt;
  o.threads = threads;
  auto m = vit_model::synthetic(*cfg, 1, o);
  if (!m) throw std::runtime_error(m.error().message);
  return *(models[key] = std::make_unique<vit_model>(std::move(*m)));
}

// The best (shortest) wall and thread-CPU time over a benchmark's iterations:
// on a shared machine the mean measures the neighbours, the minimum the code.
struct best_times {
  double wall = 1e30, cpu = 1e30;
  template <class F> void measure(F&& body) {
    timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    auto w0 = std::chrono::steady_clock::now();
    body();
    auto w1 = std::chrono::steady_clock::now();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    wall = std::min(wall, std::chrono::duration<double>(w1 - w0).count());
    cpu = std::min(cpu, double(c1.tv_sec - c0.tv_sec) + 1e-9 * double(c1.tv_nsec - c0.tv_nsec));
  }
};

// Args: dtype (0 f32, 1 bf16, 2 int8), batch, threads.
void BM_vit_forward(benchmark::State& state) {
  const dtype dt = state.range(0) == 1   ? dtype::bf16
                   : state.range(0) == 2 ? dtype::int8
                                         : dtype::f32;
  const int64_t batch = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  if (dt == dtype::int8) {
    auto cfg = named_vit_config(model_name);
    if (cfg && cfg->is_text()) {
      state.SkipWithError("int8 is implemented for ViT/DeiT blocks, not BERT's");
      return;
    }
  }
  vit_model& m = model_for(dt, threads);
  const activation x = synthetic_input(m.config(), batch, 1); // images, or ids + mask
  const int layers = m.num_layers();
  auto warm = m.forward(1, layers, x); // creates this batch size's primitives
  if (!warm) {
    state.SkipWithError(warm.error().message.c_str());
    return;
  }
  best_times best;
  for (auto _ : state) {
    best.measure([&] {
      auto y = m.forward(1, layers, x);
      benchmark::DoNotOptimize(y);
    });
  }
  const double flops = forward_flops(m.config());
  state.counters["best_images_per_s"] = double(batch) / best.wall;
  state.counters["best_GFLOPS"] = flops * double(batch) / best.wall / 1e9;
  // With one thread all the work is on this thread: images per CPU-second of it.
  if (threads == 1) {
    state.counters["best_images_per_cpu_s"] = double(batch) / best.cpu;
    state.counters["best_cpu_GFLOPS"] = flops * double(batch) / best.cpu / 1e9;
  }
  state.counters["images_per_s"] =
      benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOPS"] =
      benchmark::Counter(flops * batch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(model_name) + " " + to_string(dt) + " batch " + std::to_string(batch) +
                 " threads " + std::to_string(threads));
}

// Args: M, K, N, threads. f32, weights in the layout oneDNN prefers, as in the model.
void BM_matmul_f32(benchmark::State& state) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  omp_set_num_threads(static_cast<int>(state.range(3)));
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  dnnl::memory::desc src_md({m, k}, dt::f32, tag::ab), dst_md({m, n}, dt::f32, tag::ab);
  dnnl::memory::desc weights_any({k, n}, dt::f32, tag::any);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, weights_any, dst_md), eng);
  dnnl::memory src(src_md, eng), weights(pd.weights_desc(), eng), dst(dst_md, eng);
  std::memset(src.get_data_handle(), 0, src_md.get_size());
  std::memset(weights.get_data_handle(), 0, pd.weights_desc().get_size());
  dnnl::matmul mm(pd);
  auto run = [&] {
    mm.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    strm.wait();
  };
  run();
  best_times best;
  for (auto _ : state) best.measure(run);
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * m * k * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["best_GFLOPS"] = 2.0 * m * k * n / best.wall / 1e9;
  if (state.range(3) == 1) state.counters["best_cpu_GFLOPS"] = 2.0 * m * k * n / best.cpu / 1e9;
  state.SetLabel(std::string("f32 matmul ") + pd.impl_info_str());
}

// Args: M, K, N, threads. s8 x s8 -> f32 with per-output-channel scales and
// a bias, as the int8 model's matmuls run (weights in oneDNN's layout).
void BM_matmul_int8(benchmark::State& state) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  omp_set_num_threads(static_cast<int>(state.range(3)));
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  dnnl::memory::desc src_md({m, k}, dt::s8, tag::ab), dst_md({m, n}, dt::f32, tag::ab);
  dnnl::memory::desc weights_any({k, n}, dt::s8, tag::any), bias_md({1, n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_output_scales(2, std::vector<float>(n, 0.01f));
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, weights_any, bias_md, dst_md), attr,
                                  eng);
  dnnl::memory src(src_md, eng), weights(pd.weights_desc(), eng), bias(bias_md, eng),
      dst(dst_md, eng);
  std::memset(src.get_data_handle(), 1, src_md.get_size());
  std::memset(weights.get_data_handle(), 0, pd.weights_desc().get_size());
  std::memset(bias.get_data_handle(), 0, bias_md.get_size());
  dnnl::matmul mm(pd);
  auto run = [&] {
    mm.execute(strm, {{DNNL_ARG_SRC, src},
                      {DNNL_ARG_WEIGHTS, weights},
                      {DNNL_ARG_BIAS, bias},
                      {DNNL_ARG_DST, dst}});
    strm.wait();
  };
  run();
  best_times best;
  for (auto _ : state) best.measure(run);
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * m * k * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["best_GFLOPS"] = 2.0 * m * k * n / best.wall / 1e9;
  if (state.range(3) == 1) state.counters["best_cpu_GFLOPS"] = 2.0 * m * k * n / best.cpu / 1e9;
  state.SetLabel(std::string("s8s8 matmul ") + pd.impl_info_str());
}

void forward_args(benchmark::internal::Benchmark* b) {
  for (int dt : {0, 1, 2})
    for (int batch : {1, 8})
      for (int threads : {1, 2}) b->Args({dt, batch, threads});
}

void matmul_args(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    b->Args({2048, 2048, 2048, threads}); // the big square matmul
    b->Args({1576, 768, 3072, threads});  // ViT-Base fc1 at batch 8: often faster still
  }
}

BENCHMARK(BM_matmul_f32)
    ->Apply(matmul_args)
    ->UseRealTime()
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_matmul_int8)
    ->Apply(matmul_args)
    ->UseRealTime()
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_vit_forward)
    ->Apply(forward_args)
    ->UseRealTime()
    ->MinTime(2.0)
    ->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char** argv) {
  // Our own flag first; the rest goes to Google Benchmark.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model_name = argv[i + 1];
      for (int j = i; j + 2 <= argc; ++j) argv[j] = argv[j + 2];
      argc -= 2;
      break;
    }
  }
  if (auto c = named_model_config(model_name); !c) {
    std::fprintf(stderr, "--model: %s\n", c.error().message.c_str());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
