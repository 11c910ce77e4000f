// What an int8 mid-block stage boundary costs, sent the old way (main as f32
// through the 8-bit codec, requantized on arrival) and the direct way (main as
// its s8 codes, ops::main_form::s8 + codecs::encode_s8), on ViT-Base shapes at
// batch 8: the context [8, 197, 768] after layer 4k+1, fc1's output
// [8, 197, 3072] after 4k+3. Synthetic ViT-Base weights (3 blocks: the
// shapes, not the depth, matter), int8, one thread; the real code paths only.
//
// Per boundary c, every repetition times, back to back in one process:
//   whole  layers c..c+1 in one forward (no boundary: the buffers are handed on)
//   old    forward(c, c) f32 + encode 8 bits | decode + forward(c+1, c+1)
//   direct forward(c, c) s8 + encode (s8)    | decode + forward(c+1, c+1)
// so old - whole and direct - whole are each path's boundary cost: the
// sender's export (old: dequantize / widen to f32; direct: the s8 codes) and
// encode, the receiver's decode and import (old: requantize), main and skip.
// The skip (residual stream, f32) takes the 8-bit codec both ways; the main
// and skip tensors' encode + decode are also timed alone (the skip's share of
// the boundary is the same in both paths). Medians over repetitions
// of thread CPU time (the machine may be shared) and of wall time.
//
// Then one stage starting at 4k+4 (layers 4..8, and 4..9, which also ends
// inside a block), as a stage worker runs it: decode its input frames,
// forward, encode its output at 8 bits, both ways.
//
//   bench_s8_boundary [--reps N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "ops/model.hpp"
#include "runtime/activation_frames.hpp"

using namespace edgepipe;

namespace {

struct sample {
  double cpu_ms = 0, wall_ms = 0;
};

struct clock_pair {
  timespec cpu;
  std::chrono::steady_clock::time_point wall;
  static clock_pair now() {
    clock_pair c;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c.cpu);
    c.wall = std::chrono::steady_clock::now();
    return c;
  }
  sample since(const clock_pair& a) const {
    return {1e3 * double(cpu.tv_sec - a.cpu.tv_sec) + 1e-6 * double(cpu.tv_nsec - a.cpu.tv_nsec),
            std::chrono::duration<double, std::milli>(wall - a.wall).count()};
  }
};

sample timed(const std::function<void()>& f) {
  auto a = clock_pair::now();
  f();
  return clock_pair::now().since(a);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_s8_boundary: %s\n", what.c_str());
  std::exit(1);
}

template <class T> T take(expected<T> v, const char* what) {
  if (!v) die(std::string(what) + ": " + v.error().message);
  return std::move(*v);
}

const codecs::quant_params q8{8, codecs::clip_method::none, codecs::granularity::tensor};

ops::model range(const ops::model_config& cfg, int first, int last) {
  ops::model_options o;
  o.compute = ops::dtype::int8;
  o.threads = 1;
  o.first = first;
  o.last = last;
  return take(ops::model::synthetic(cfg, 1, o), "model");
}

// One series of medians (CPU and wall) per named quantity.
struct series {
  std::vector<std::string> names;
  std::vector<std::vector<double>> cpu, wall;
  void add(size_t i, const sample& s) {
    cpu[i].push_back(s.cpu_ms);
    wall[i].push_back(s.wall_ms);
  }
  explicit series(std::vector<std::string> n)
      : names(std::move(n)), cpu(names.size()), wall(names.size()) {}
};

void boundary(const ops::model_config& cfg, int c, const ops::activation& before_c, int reps) {
  auto sender = range(cfg, c, c), receiver = range(cfg, c + 1, c + 1), both = range(cfg, c, c + 1);
  enum { whole, old_path, direct, old_main_codec, direct_main_codec, skip_codec };
  series s({"whole", "old", "direct", "old main codec", "direct main codec", "skip codec"});
  for (int r = 0; r < reps + 1; ++r) { // the first repetition warms up (plans, caches)
    sample w = timed([&] { take(both.forward(c, c + 1, before_c), "whole"); });
    sample main_codec[2], skip[2];
    sample paths[2];
    for (int form = 0; form < 2; ++form) {
      const auto f = form ? ops::main_form::s8 : ops::main_form::f32;
      runtime::activation_frames frames;
      ops::activation out;
      paths[form] = timed([&] {
        auto mid = take(sender.forward(c, c, before_c, f), "sender");
        frames = take(runtime::encode_activation(mid, q8), "encode");
        auto in = take(runtime::decode_activation(frames), "decode");
        out = take(receiver.forward(c + 1, c + 1, in), "receiver");
      });
      // Main's and skip's encode + decode alone, on the same tensors.
      auto mid = take(sender.forward(c, c, before_c, f), "sender");
      ops::activation main_only, skip_only;
      main_only.main = std::move(mid.main);
      main_only.main_s8 = std::move(mid.main_s8);
      skip_only.main = std::move(mid.skip); // the same codec path as a skip frame
      main_codec[form] = timed([&] {
        auto fr = take(runtime::encode_activation(main_only, q8), "encode main");
        take(runtime::decode_activation(fr), "decode main");
      });
      skip[form] = timed([&] {
        auto fr = take(runtime::encode_activation(skip_only, q8), "encode skip");
        take(runtime::decode_activation(fr), "decode skip");
      });
    }
    if (r == 0) continue;
    s.add(whole, w);
    s.add(old_path, paths[0]);
    s.add(direct, paths[1]);
    s.add(old_main_codec, main_codec[0]);
    s.add(direct_main_codec, main_codec[1]);
    s.add(skip_codec, skip[0]);
    s.add(skip_codec, skip[1]);
  }
  const auto report = [&](const char* clock, const std::vector<std::vector<double>>& v) {
    std::vector<double> old_cost, direct_cost;
    for (size_t i = 0; i < v[whole].size(); ++i) {
      old_cost.push_back(v[old_path][i] - v[whole][i]);
      direct_cost.push_back(v[direct][i] - v[whole][i]);
    }
    const double o = median(old_cost), d = median(direct_cost);
    std::printf("  %-4s layers %d..%d whole %.2f ms, split old %.2f, split direct %.2f | boundary "
                "(main + skip): old %.2f ms, direct %.2f ms, old/direct %.2fx | encode+decode "
                "alone: main old %.2f ms, main direct %.3f ms, skip (both) %.2f ms\n",
                clock, c, c + 1, median(v[whole]), median(v[old_path]), median(v[direct]), o, d,
                d > 0 ? o / d : 0.0, median(v[old_main_codec]), median(v[direct_main_codec]),
                median(v[skip_codec]));
  };
  std::printf("boundary after layer %d (%s, main [8, 197, %d]), %d repetitions:\n", c,
              c % 4 == 1 ? "4k+1" : "4k+3", c % 4 == 1 ? cfg.hidden_size : cfg.intermediate_size,
              reps);
  report("cpu", s.cpu);
  report("wall", s.wall);
}

// A stage worker's loop body: decode the input frames, forward, encode at 8 bits.
void stage(const ops::model_config& cfg, int first, int last, const ops::activation& before,
           int reps) {
  auto upstream = range(cfg, first - 1, first - 1), model = range(cfg, first, last);
  runtime::activation_frames in[2];
  for (int form = 0; form < 2; ++form)
    in[form] = take(runtime::encode_activation(
                        take(upstream.forward(first - 1, first - 1, before,
                                              form ? ops::main_form::s8 : ops::main_form::f32),
                             "upstream"),
                        q8),
                    "encode");
  series s({"old", "direct"});
  for (int r = 0; r < reps + 1; ++r)
    for (int form = 0; form < 2; ++form) {
      sample t = timed([&] {
        auto src = take(runtime::decode_activation(in[form]), "decode");
        auto out =
            take(model.forward(first, last, src, form ? ops::main_form::s8 : ops::main_form::f32),
                 "forward");
        take(runtime::encode_activation(out, q8), "encode");
      });
      if (r > 0) s.add(size_t(form), t);
    }
  for (int clock = 0; clock < 2; ++clock) {
    const auto& v = clock ? s.wall : s.cpu;
    const double o = median(v[0]), d = median(v[1]);
    std::printf("  %-4s stage layers %d..%d (decode + forward + encode): old %.2f ms, direct "
                "%.2f ms, old/direct %.3fx, saved %.2f ms\n",
                clock ? "wall" : "cpu", first, last, o, d, o / d, o - d);
  }
}

} // namespace

int main(int argc, char** argv) {
  int reps = 15;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
  auto cfg = take(ops::named_model_config("vit-base"), "config");
  cfg.num_hidden_layers = 3;
  const int64_t batch = 8;
  std::printf("ViT-Base shapes, 3 blocks, int8, batch %lld, 1 thread, links 8 bits (clip none, "
              "per tensor)\n",
              static_cast<long long>(batch));
  auto all = range(cfg, 1, 0);
  ops::activation images = ops::synthetic_input(cfg, batch, 7);
  // The inputs of block 1's layers: run what comes before once.
  auto in5 = take(all.forward(1, 4, images), "prefix");
  auto in7 = take(all.forward(5, 6, in5), "prefix");
  boundary(cfg, 5, in5, reps); // 4k+1: the context
  boundary(cfg, 7, in7, reps); // 4k+3: fc1's output
  std::printf("stage starting at 4k+4 (its input crossed after layer 3):\n");
  auto in3 = take(all.forward(1, 2, images), "prefix");
  stage(cfg, 4, 8, in3, reps);
  stage(cfg, 4, 9, in3, reps);
  return 0;
}
