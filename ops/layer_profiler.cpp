#include "ops/layer_profiler.hpp"

#include <algorithm>
#include <chrono>

#include "ops/layer_descriptor.hpp"
#include "ops/stage_memory.hpp"

namespace edgepipe::ops {

expected<model_source> model_source::from_dir(const std::string& dir) {
  auto cfg = read_vit_config(dir + "/config.json");
  if (!cfg) return cfg.error();
  model_source s;
  s.dir = dir;
  s.config = *cfg;
  return s;
}

model_source model_source::synthetic(const vit_config& cfg, uint64_t seed) {
  model_source s;
  s.config = cfg;
  s.seed = seed;
  return s;
}

expected<vit_model> model_source::load(const model_options& opts) const {
  if (!dir.empty()) return vit_model::load(dir, opts);
  return vit_model::synthetic(config, seed, opts);
}

std::vector<int> profiled_blocks(int blocks, int measured_blocks) {
  std::vector<int> out;
  // Fewer than 2 would make block 1 (which embeds) the template; a limit
  // that leaves no block to copy measures everything.
  const int n =
      measured_blocks <= 0 || measured_blocks >= blocks - 1 ? blocks : std::max(2, measured_blocks);
  for (int b = 0; b < n; ++b) out.push_back(b);
  if (n < blocks) out.push_back(blocks - 1);
  return out;
}

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Seconds per run of `forward` (warmed up already), timed as opts says:
// the median of `repeats` runs, or sustained (the mean over a stretch of at
// least sustain_s). Leaves the last run's result in `result`.
template <class Forward>
expected<double> time_runs(const profile_options& opts, Forward forward,
                           expected<activation>& result) {
  std::vector<double> runs;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (static_cast<int>(runs.size()) < opts.repeats || elapsed < opts.sustain_s) {
    const auto t0 = std::chrono::steady_clock::now();
    auto again = forward();
    const auto t1 = std::chrono::steady_clock::now();
    runs.push_back(std::chrono::duration<double>(t1 - t0).count());
    elapsed = std::chrono::duration<double>(t1 - start).count();
    if (!again) return again.error();
    result = std::move(again);
  }
  // Sustained: the mean over the whole stretch, so time spent preempted counts.
  return opts.sustain_s > 0 ? elapsed / static_cast<double>(runs.size()) : median(runs);
}

// Times layers first..last (one block) of `model` starting from `cur`;
// leaves the last output in cur. Each layer is timed alone, then the block
// in one call, and the layers' times are scaled to sum to the block's: a
// stage runs its layers in one call, and each separate call pays for its
// input and output tensors again (about 10% of a small model's time).
expected<void> time_block(vit_model& model, int first, int last, const profile_options& opts,
                          activation& cur, layer_profile& out) {
  const int64_t batch = cur.main.shape[0];
  const activation block_input = cur;
  double layers_sum = 0;
  for (int l = first; l <= last; ++l) {
    auto result = model.forward(l, l, cur); // warm-up: primitives created, caches filled
    if (!result) return result.error();
    auto t = time_runs(
        opts, [&] { return model.forward(l, l, cur); }, result);
    if (!t) return t.error();
    out.time_s[l - 1] = *t;
    layers_sum += *t;
    out.output_elements[l - 1] =
        (result->main.numel() + (result->has_skip() ? result->skip.numel() : 0) +
         (result->has_mask() ? result->mask.numel() : 0)) /
        batch; // BERT's mask crosses too
    out.measured[l - 1] = true;
    cur = std::move(*result);
  }
  auto whole = model.forward(first, last, block_input);
  if (!whole) return whole.error();
  auto block = time_runs(
      opts, [&] { return model.forward(first, last, block_input); }, whole);
  if (!block) return block.error();
  for (int l = first; l <= last; ++l) {
    if (layers_sum > 0) out.time_s[l - 1] *= *block / layers_sum;
    if (opts.progress) opts.progress(l, out.time_s[l - 1]);
  }
  return {};
}

} // namespace

expected<layer_profile> profile_layers(const model_source& source, const profile_options& opts) {
  if (opts.microbatch < 1 || opts.repeats < 1 || opts.threads < 0 || !(opts.sustain_s >= 0))
    return make_error(errc::invalid_argument,
                      "profile: microbatch and repeats must be >= 1, threads and sustain >= 0");
  const vit_config& cfg = source.config;
  const model_descriptor desc = model_descriptor::of(cfg);
  const int L = desc.num_layers(), blocks = L / layers_per_block;
  layer_profile out;
  out.time_s.assign(L, 0);
  out.output_elements.assign(L, 0);
  out.measured.assign(L, false);

  // Random images, or token ids with a mask of ones at the config's
  // sequence length: the times do not depend on the values.
  activation cur = synthetic_input(cfg, opts.microbatch, 1);

  for (int block : profiled_blocks(blocks, opts.measured_blocks)) {
    model_options mo;
    mo.compute = opts.compute;
    mo.threads = opts.threads;
    mo.first = block * layers_per_block + 1;
    mo.last = mo.first + layers_per_block - 1;
    {
      auto model = source.load(mo);
      if (!model) return model.error();
      out.largest_weight_bytes = std::max(out.largest_weight_bytes, model->weight_bytes());
      auto ok = time_block(*model, mo.first, mo.last, opts, cur, out);
      if (!ok) return ok.error();
    }                      // the block's weights are freed here ...
    release_free_memory(); // ... and handed back to the system before the next block loads
  }
  // Unmeasured blocks copy the last measured block before the final one.
  int template_block = -1;
  for (int b = blocks - 2; b >= 0 && template_block < 0; --b)
    if (out.measured[static_cast<size_t>(b) * layers_per_block]) template_block = b;
  for (int l = 1; l <= L; ++l) {
    if (out.measured[l - 1]) continue;
    const int like =
        template_block * layers_per_block + static_cast<int>(encoder_position(l).part) + 1;
    out.time_s[l - 1] = out.time_s[like - 1];
    out.output_elements[l - 1] = out.output_elements[like - 1];
  }
  return out;
}

} // namespace edgepipe::ops
