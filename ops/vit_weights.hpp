// vit_weights: which Hugging Face tensors each planner layer needs, with the
// shapes config.json implies, and the seeded random weights of synthetic models.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/tensor.hpp"
#include "ops/vit_config.hpp"

namespace edgepipe::ops {

struct weight_spec {
  std::string name; // "vit.encoder.layer.3.attention.attention.query.weight"
  std::vector<int64_t> shape;
};

// The tensors planner layer `layer` (1..4L) reads: its block's part, plus the
// embeddings for layer 1 and the final LayerNorm and classifier for layer 4L.
std::vector<weight_spec> layer_weights(const vit_config& cfg, int layer);

// The union over layers first..last, in layer order.
std::vector<weight_spec> range_weights(const vit_config& cfg, int first, int last);

// Hands out a tensor of the given spec, or an error naming it (missing, wrong shape).
using weight_source = std::function<expected<tensor>(const weight_spec&)>;

// Seeded random weights that depend only on (seed, name): a stage holding
// layers 5..8 sees the same numbers as a full model. Weights are uniform with
// standard deviation 0.02 (Hugging Face initialises with N(0, 0.02)); biases
// the same; LayerNorm weights 1 and biases 0, as Hugging Face initialises them.
tensor synthetic_weight(const weight_spec& spec, uint64_t seed);

} // namespace edgepipe::ops
