// codecs: encode and decode throughput (GB/s of float32 input) of a
// [8, 197, 768] activation at 2, 4, 8 bits per clipping method, one thread,
// and in the same run one ViT-Base block's forward pass on the same tensor.
// Targets (issue 3): none and aciq encode >= 2 GB/s, decode >= 4 GB/s;
// ds-aciq encode <= 5% of the block's forward time.
//
//   bench_codecs [--benchmark_filter=...] [--benchmark_min_time=...]
//
// The input is seeded Laplace(b = 0.5) data with 1% wide outliers (std 8),
// roughly the shape of a ViT residual stream: a sharp body and heavy tails.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "codecs/codec.hpp"
#include "codecs/kernels.hpp"
#include "ops/vit_model.hpp"

using namespace edgepipe;

namespace {

const std::vector<int64_t> shape = {8, 197, 768};
const int64_t numel = 8 * 197 * 768;

const std::vector<float>& input() {
  static const std::vector<float> x = [] {
    std::mt19937_64 rng(42);
    std::exponential_distribution<float> expo(2.0f);
    std::normal_distribution<float> wide(0.0f, 8.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(numel), 0.0f);
    for (auto& e : v) e = u(rng) < 0.01f ? wide(rng) : (u(rng) < 0.5f ? -1.0f : 1.0f) * expo(rng);
    return v;
  }();
  return x;
}

const codecs::clip_method methods[] = {codecs::clip_method::none, codecs::clip_method::aciq,
                                       codecs::clip_method::ds_aciq, codecs::clip_method::mse};

void encode_bench(benchmark::State& state, codecs::clip_method m, int bits) {
  const auto& x = input();
  codecs::quant_params p{bits, m, codecs::granularity::tensor};
  size_t frame = 0;
  for (auto _ : state) {
    auto f = codecs::encode(x.data(), shape, p);
    if (!f) state.SkipWithError(f.error().message.c_str());
    frame = f->size();
    benchmark::DoNotOptimize(f->data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * numel * 4);
  state.counters["frame_bytes"] = double(frame);
}

void decode_bench(benchmark::State& state, codecs::clip_method m, int bits) {
  auto f = codecs::encode(input().data(), shape, {bits, m, codecs::granularity::tensor});
  for (auto _ : state) {
    auto d = codecs::decode(f->data(), f->size());
    if (!d) state.SkipWithError(d.error().message.c_str());
    benchmark::DoNotOptimize(d->data.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * numel * 4);
}

// One ViT-Base block (planner layers 5..8 of a 3-block synthetic model: a
// middle block, no embeddings or head), one thread, on the same tensor.
void block_bench(benchmark::State& state) {
  auto cfg = ops::named_vit_config("vit-base");
  if (!cfg) return state.SkipWithError(cfg.error().message.c_str());
  cfg->num_hidden_layers = 3;
  ops::model_options opts;
  opts.threads = 1;
  opts.first = 5;
  opts.last = 8;
  auto model = ops::vit_model::synthetic(*cfg, 1, opts);
  if (!model) return state.SkipWithError(model.error().message.c_str());
  ops::activation src;
  src.main.shape = shape;
  src.main.data = input();
  for (auto _ : state) {
    auto dst = model->forward(5, 8, src);
    if (!dst) return state.SkipWithError(dst.error().message.c_str());
    benchmark::DoNotOptimize(dst->main.data.data());
  }
}

// Collects each run's time so main can print the targets beside the numbers.
class summary_reporter : public benchmark::ConsoleReporter {
public:
  // Per iteration, CPU time of the benchmark thread: on a shared machine the
  // wall time includes waiting for a core, CPU time is the per-core cost.
  std::map<std::string, double> seconds, wall_seconds;
  std::map<std::string, double> gbps;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      double unit = r.time_unit == benchmark::kMillisecond ? 1e3 : 1e9;
      double s = r.GetAdjustedCPUTime() / unit;
      // "name/min_time:.../process_time" -> "name"
      std::string name = r.benchmark_name().substr(0, r.benchmark_name().find("/min_time"));
      seconds[name] = s;
      wall_seconds[name] = r.GetAdjustedRealTime() / unit;
      gbps[name] = double(numel) * 4 / s / 1e9;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

void print_summary(const summary_reporter& rep) {
  std::printf("\nsummary (kernels: %s, 1 thread, CPU time; wall time in the table above)\n",
              codecs::to_string(codecs::kernels().isa));
  for (auto m : methods) {
    bool targeted = m == codecs::clip_method::none || m == codecs::clip_method::aciq;
    for (int bits : {2, 4, 8}) {
      std::string e = std::string("encode/") + codecs::to_string(m) + "/" + std::to_string(bits);
      std::string d = std::string("decode/") + codecs::to_string(m) + "/" + std::to_string(bits);
      if (!rep.gbps.count(e) || !rep.gbps.count(d)) continue;
      double ge = rep.gbps.at(e), gd = rep.gbps.at(d);
      double we = double(numel) * 4 / rep.wall_seconds.at(e) / 1e9;
      double wd = double(numel) * 4 / rep.wall_seconds.at(d) / 1e9;
      const char* enc_ok = !targeted ? "no target" : ge >= 2 ? "ok" : "MISSED";
      const char* dec_ok = !targeted ? "no target" : gd >= 4 ? "ok" : "MISSED";
      std::printf("  %-7s %2d bits: encode %6.2f GB/s (>= 2: %s; wall %.2f)  decode %6.2f GB/s "
                  "(>= 4: %s; wall %.2f)\n",
                  codecs::to_string(m), bits, ge, enc_ok, we, gd, dec_ok, wd);
    }
  }
  auto block = rep.seconds.find("vit_base_block_forward");
  if (block == rep.seconds.end()) {
    std::printf("  ViT-Base block: not measured (filtered out or failed)\n");
    return;
  }
  std::printf("  ViT-Base block forward: %.1f ms (wall %.1f ms)\n", block->second * 1e3,
              rep.wall_seconds.at(block->first) * 1e3);
  for (int bits : {2, 4, 8}) {
    std::string e = "encode/ds-aciq/" + std::to_string(bits);
    if (!rep.seconds.count(e)) continue;
    double share = rep.seconds.at(e) / block->second * 100;
    double wall_share = rep.wall_seconds.at(e) / rep.wall_seconds.at(block->first) * 100;
    std::printf(
        "  ds-aciq %d bits encode %.2f ms = %.2f%% of the block (<= 5%%: %s; wall %.2f%%)\n", bits,
        rep.seconds.at(e) * 1e3, share, share <= 5 ? "ok" : "MISSED", wall_share);
  }
}

} // namespace

int main(int argc, char** argv) {
  for (auto m : methods)
    for (int bits : {2, 4, 8}) {
      std::string tag = std::string(codecs::to_string(m)) + "/" + std::to_string(bits);
      benchmark::RegisterBenchmark(("encode/" + tag).c_str(), encode_bench, m, bits);
      benchmark::RegisterBenchmark(("decode/" + tag).c_str(), decode_bench, m, bits);
    }
  benchmark::RegisterBenchmark("vit_base_block_forward", block_bench)
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime() // oneDNN may run its own threads
      ->MinTime(2.0);
  benchmark::Initialize(&argc, argv);
  summary_reporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  print_summary(rep);
  return 0;
}
