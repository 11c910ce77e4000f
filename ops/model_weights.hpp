// model_weights: which Hugging Face tensors each planner layer needs, with the
// shapes config.json implies and the role each plays, and the seeded random
// weights of synthetic models. The names are family knowledge (image_weights.cpp
// for ViT and DeiT, bert_weights.cpp for BERT); everything after this point
// (vit_params) works on roles, whatever the family.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/model_config.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops {

enum class weight_role {
  // Image embeddings (layer 1 of vit, deit).
  patch_weight,
  patch_bias,
  cls_token,
  distillation_token,
  position_table,
  // Text embeddings (layer 1 of bert): word, position and token-type tables, LayerNorm.
  word_table,
  token_type_table,
  embed_norm_scale,
  embed_norm_shift,
  // A block. ViT/DeiT (pre-LN): norm1 before attention (4k+1), norm2 before the
  // MLP (4k+3). BERT (post-LN): norm1 after the attention residual (4k+2),
  // norm2 after the MLP residual (4k+4).
  norm1_scale,
  norm1_shift,
  query_weight,
  query_bias,
  key_weight,
  key_bias,
  value_weight,
  value_bias,
  attn_out_weight,
  attn_out_bias,
  norm2_scale,
  norm2_shift,
  fc1_weight,
  fc1_bias,
  fc2_weight,
  fc2_bias,
  // The head (layer 4L): final LayerNorm (vit, deit), pooler (bert), classifier,
  // the distillation classifier (distilled deit).
  final_norm_scale,
  final_norm_shift,
  pooler_weight,
  pooler_bias,
  classifier_weight,
  classifier_bias,
  distillation_weight,
  distillation_bias,
};

struct weight_spec {
  std::string name; // "vit.encoder.layer.3.attention.attention.query.weight"
  std::vector<int64_t> shape;
  weight_role role = weight_role::query_weight;
};

// The tensors planner layer `layer` (1..4L) reads: its block's part, plus the
// embeddings for layer 1 and the head for layer 4L.
std::vector<weight_spec> layer_weights(const model_config& cfg, int layer);

// The union over layers first..last, in layer order.
std::vector<weight_spec> range_weights(const model_config& cfg, int first, int last);

// Per family (the block index is layer's, part = (layer - 1) % 4).
std::vector<weight_spec> image_layer_weights(const model_config& cfg, int layer);
std::vector<weight_spec> bert_layer_weights(const model_config& cfg, int layer);

// Hands out a tensor of the given spec, or an error naming it (missing, wrong shape).
using weight_source = std::function<expected<tensor>(const weight_spec&)>;

// Seeded random weights that depend only on (seed, name): a stage holding
// layers 5..8 sees the same numbers as a full model. Weights are uniform with
// standard deviation 0.02 (Hugging Face initialises with N(0, 0.02)); biases
// the same; LayerNorm weights 1 and biases 0, as Hugging Face initialises them.
tensor synthetic_weight(const weight_spec& spec, uint64_t seed);

} // namespace edgepipe::ops
