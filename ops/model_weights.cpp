#include "ops/model_weights.hpp"

#include <cmath>

namespace edgepipe::ops {

std::vector<weight_spec> layer_weights(const model_config& cfg, int layer) {
  return cfg.is_text() ? bert_layer_weights(cfg, layer) : image_layer_weights(cfg, layer);
}

std::vector<weight_spec> range_weights(const model_config& cfg, int first, int last) {
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

bool is_norm_scale(weight_role r) {
  return r == weight_role::embed_norm_scale || r == weight_role::norm1_scale ||
         r == weight_role::norm2_scale || r == weight_role::final_norm_scale;
}

bool is_norm_shift(weight_role r) {
  return r == weight_role::embed_norm_shift || r == weight_role::norm1_shift ||
         r == weight_role::norm2_shift || r == weight_role::final_norm_shift;
}

} // namespace

tensor synthetic_weight(const weight_spec& spec, uint64_t seed) {
  tensor t = tensor::zeros(spec.shape);
  if (is_norm_scale(spec.role)) {
    t.data.assign(t.data.size(), 1.0f);
    return t;
  }
  if (is_norm_shift(spec.role)) return t;
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
