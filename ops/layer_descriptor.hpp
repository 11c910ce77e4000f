// layer_descriptor: what planner layer k of a model is, without building it.
// The planner (sizes, weights), the profiler, the stages (memory check) and
// the CLI (plan reports) all ask one model_descriptor instead of each
// redoing the arithmetic.
//
// Transformer encoders are split at PipeEdge's granularity, 4 planner layers
// per block (numbered 1..4L, 1-based):
//   4k+1  (LayerNorm) + Q/K/V + softmax(QK^T/sqrt(d)) V  (embeddings too when k = 0)
//   4k+2  attention output projection + residual add (+ LayerNorm: BERT)
//   4k+3  (LayerNorm) + fc1 + GELU
//   4k+4  fc2 + residual add (+ LayerNorm: BERT)        (the head too when k = L-1)
// ViT and DeiT normalise before 4k+1 and 4k+3, BERT after 4k+2 and 4k+4. The
// boundary after 4k+1 and 4k+3 carries a skip tensor; every BERT boundary
// carries the attention mask (ops/activation.hpp).
//
// One factory per family fills the per-layer table from its configuration
// (`of` picks it from model_config::family); everything else is shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/dtype.hpp"
#include "ops/model_config.hpp"
#include "ops/vit_config.hpp" // the old names (vit_config, named_vit_config)

namespace edgepipe::ops {

constexpr int layers_per_block = 4;

enum class block_part { attention = 0, attention_output = 1, mlp_in = 2, mlp_out = 3 };

// Where planner layer `layer` (1-based) sits in the encoder.
struct layer_position {
  int block = 0; // 0-based transformer block
  block_part part = block_part::attention;
};
inline layer_position encoder_position(int layer) {
  return {(layer - 1) / layers_per_block, static_cast<block_part>((layer - 1) % layers_per_block)};
}

struct layer_info {
  int index = 0;    // 1-based planner layer
  std::string name; // "block 3 attention (LN + QKV + softmax)", blocks counted from 1
  layer_position position;
  // Parameters split by how a stage stores them: matmul weights at the
  // compute dtype, everything else (biases, norms, embeddings, the head) f32.
  int64_t matmul_parameters = 0;
  int64_t f32_parameters = 0;
  // int8 compute only: of matmul_parameters, the patch embedding's (layer 1),
  // which stays bf16; and the output channels of the block matmuls, each
  // with an f32 output scale and oneDNN's compensation (ops/int8_weights.hpp).
  int64_t embedding_parameters = 0;
  int64_t matmul_channels = 0;
  // Multiply-adds x 2 of the matmuls per sample (norms, softmax, GELU and
  // adds are not counted: < 2% of a ViT block).
  double flops = 0;
  std::vector<int64_t> output_shape; // main output per sample (no batch dimension)
  std::vector<int64_t> skip_shape;   // skip output per sample; empty: none
  std::vector<int64_t> mask_shape;   // BERT's attention mask per sample ([S]); empty: none

  int64_t parameters() const { return matmul_parameters + f32_parameters; }
  bool has_skip() const { return !skip_shape.empty(); }
  int64_t output_main_elements() const;
  int64_t output_skip_elements() const;
  int64_t output_mask_elements() const;
  // Floats per sample leaving the layer: main + skip + mask (what the planner sends).
  int64_t output_elements() const {
    return output_main_elements() + output_skip_elements() + output_mask_elements();
  }
  // Bytes a stage holds for this layer's weights at the compute dtype.
  int64_t weight_bytes(dtype compute) const;
};

class model_descriptor {
public:
  // The descriptor of cfg's family (ops/model.hpp's split): ViT, DeiT (both
  // classification layouts), BERT (BertForSequenceClassification, BertModel).
  static model_descriptor of(const model_config& cfg);
  // The name from the days of ViT alone: the same as of().
  static model_descriptor vit(const model_config& cfg) { return of(cfg); }

  const std::string& family() const { return family_; }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  // Layer k, 1 <= k <= num_layers() (a precondition: check_range first for
  // numbers from outside).
  const layer_info& layer(int k) const { return layers_[static_cast<size_t>(k - 1)]; }
  const std::vector<layer_info>& layers() const { return layers_; }

  // What layer 1 takes per sample: [C, H, W] images (ViT, DeiT), [S] token
  // ids (BERT, with a mask [S] beside them: input_elements counts both).
  const std::vector<int64_t>& input_shape() const { return input_shape_; }
  int64_t input_elements() const;

  // An error naming the range and the model's layers unless 1 <= first <= last <= L.
  expected<void> check_range(int first, int last) const;

  // Sums over layers first..last (inclusive).
  int64_t parameters(int first, int last) const;
  double flops(int first, int last) const;
  // What a stage holding first..last allocates for weights, in bytes: what
  // vit_model loads for that range, up to oneDNN's layout padding (none
  // when every matmul size is a multiple of 64).
  int64_t weight_bytes(int first, int last, dtype compute) const;

private:
  // A family's factory fills these (a static member each, so DeiT or BERT
  // adds one function, not a subclass).
  std::string family_;
  std::vector<int64_t> input_shape_;
  int64_t input_mask_elements_ = 0;
  std::vector<layer_info> layers_;
};

// Bytes as megabytes the way the planner and `--memory-mb` count them (2^20).
inline double to_mb(int64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace edgepipe::ops
