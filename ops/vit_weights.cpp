#include "ops/vit_weights.hpp"

#include <cmath>

#include "ops/layer_descriptor.hpp"

namespace edgepipe::ops {

std::vector<weight_spec> layer_weights(const vit_config& cfg, int layer) {
  const int64_t d = cfg.hidden_size, inter = cfg.intermediate_size;
  const layer_position at = encoder_position(layer);
  const int block = at.block;
  const std::string p = "vit.encoder.layer." + std::to_string(block) + ".";
  std::vector<weight_spec> w;
  switch (at.part) {
  case block_part::attention:
    if (block == 0) {
      const int64_t c = cfg.num_channels, ps = cfg.patch_size;
      w.push_back({"vit.embeddings.cls_token", {1, 1, d}});
      w.push_back({"vit.embeddings.position_embeddings", {1, cfg.tokens(), d}});
      w.push_back({"vit.embeddings.patch_embeddings.projection.weight", {d, c, ps, ps}});
      w.push_back({"vit.embeddings.patch_embeddings.projection.bias", {d}});
    }
    w.push_back({p + "layernorm_before.weight", {d}});
    w.push_back({p + "layernorm_before.bias", {d}});
    for (const char* m : {"query", "key", "value"}) {
      w.push_back({p + "attention.attention." + m + ".weight", {d, d}});
      w.push_back({p + "attention.attention." + m + ".bias", {d}});
    }
    break;
  case block_part::attention_output:
    w.push_back({p + "attention.output.dense.weight", {d, d}});
    w.push_back({p + "attention.output.dense.bias", {d}});
    break;
  case block_part::mlp_in:
    w.push_back({p + "layernorm_after.weight", {d}});
    w.push_back({p + "layernorm_after.bias", {d}});
    w.push_back({p + "intermediate.dense.weight", {inter, d}});
    w.push_back({p + "intermediate.dense.bias", {inter}});
    break;
  case block_part::mlp_out:
    w.push_back({p + "output.dense.weight", {d, inter}});
    w.push_back({p + "output.dense.bias", {d}});
    if (layer == cfg.planner_layers()) {
      w.push_back({"vit.layernorm.weight", {d}});
      w.push_back({"vit.layernorm.bias", {d}});
      w.push_back({"classifier.weight", {cfg.num_labels, d}});
      w.push_back({"classifier.bias", {cfg.num_labels}});
    }
  }
  return w;
}

std::vector<weight_spec> range_weights(const vit_config& cfg, int first, int last) {
  std::vector<weight_spec> all;
  for (int l = first; l <= last; ++l)
    for (auto& w : layer_weights(cfg, l)) all.push_back(std::move(w));
  return all;
}

namespace {

// splitmix64: a tiny, good-enough generator whose stream depends only on its seed.
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t name_hash(const std::string& s) { // FNV-1a: stable across platforms
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

tensor synthetic_weight(const weight_spec& spec, uint64_t seed) {
  tensor t = tensor::zeros(spec.shape);
  const bool layernorm = spec.name.find("layernorm") != std::string::npos;
  if (layernorm) {
    if (ends_with(spec.name, ".weight")) t.data.assign(t.data.size(), 1.0f);
    return t;
  }
  // Uniform on [-a, a] has standard deviation a / sqrt(3).
  const float a = 0.02f * std::sqrt(3.0f);
  uint64_t state = seed ^ name_hash(spec.name);
  for (float& v : t.data) {
    const double u = static_cast<double>(splitmix(state) >> 11) * (1.0 / 9007199254740992.0);
    v = static_cast<float>((2.0 * u - 1.0) * a);
  }
  return t;
}

} // namespace edgepipe::ops
