// vit_params: the weights of a layer range on the oneDNN side, for every
// family (ViT, DeiT, BERT share the encoder block; they differ in embeddings
// and head). Matmul weights are reordered once, at load, into the blocked
// layout oneDNN chooses for them (format any); the layout is the same for
// every block, so it is kept once.
#pragma once

#include <optional>
#include <vector>

#include "ops/dnnl_util.hpp"
#include "ops/int8_calibration.hpp"
#include "ops/int8_weights.hpp"
#include "ops/model_config.hpp"
#include "ops/model_weights.hpp"

namespace edgepipe::ops {

// The weight layouts oneDNN chose (one per matmul kind), shared by all blocks.
struct weight_layouts {
  dnnl::memory::desc patch, qkv, out, fc1, fc2, pooler, head;
};

struct embed_params {
  // Images (vit, deit).
  dnnl::memory weight, bias; // patch projection as a matmul [C*p*p, D]
  std::vector<float> cls;    // [D]
  std::vector<float> dist;   // [D], deit's distillation token
  std::vector<float> pos;    // images: [T, D]; text: [max_position_embeddings, D]
  // Text (bert).
  std::vector<float> word;       // [vocab, D]
  std::vector<float> token_type; // [type_vocab, D]
  dnnl::memory norm_scale, norm_shift;
};

struct block_params {
  dnnl::memory ln1_scale, ln1_shift; // layer 4k+1 (pre-LN), 4k+2 (bert, post-LN)
  dnnl::memory qkv_w, qkv_b;         // Q, K, V fused: [D, 3D]
  dnnl::memory out_w, out_b;         // layer 4k+2
  dnnl::memory ln2_scale, ln2_shift; // layer 4k+3 (pre-LN), 4k+4 (bert, post-LN)
  dnnl::memory fc1_w, fc1_b;
  dnnl::memory fc2_w, fc2_b; // layer 4k+4

  // int8 compute: the four matmuls quantized per output channel (the *_w, *_b
  // above stay empty), and the step of each one's s8 input (int8_calibration).
  int8_linear qkv_q, out_q, fc1_q, fc2_q;
  float qkv_in = 0, out_in = 0, fc1_in = 0, fc2_in = 0;
};

struct head_params {
  dnnl::memory ln_scale, ln_shift; // vit, deit: the final LayerNorm
  dnnl::memory pooler_w, pooler_b; // bert: dense [D, D] + tanh on the first token
  bool classifier = true;          // false: a BertModel, whose output is the pooled one
  // The classifier [K, labels], always f32. K = D, except a distilled DeiT:
  // K = 2D, both heads stacked and halved, so that one matmul on [cls | dist]
  // gives (cls_classifier(cls) + distillation_classifier(dist)) / 2.
  dnnl::memory weight, bias;
};

struct vit_params {
  // f32, bf16, or s8: the block matmuls in int8 (pre-LN blocks only); then the
  // attention, the patch embedding and the buffers between layers are bf16
  // (see vit_plan.hpp).
  dnnl_dt compute = dnnl_dt::f32;
  weight_layouts layouts;
  std::optional<embed_params> embed;
  std::vector<block_params> blocks; // indexed by block; only the range's are filled
  std::optional<head_params> head;
};

// Fetches the tensors of layers first..last from `source` (which names the
// tensor in its errors) and moves them into oneDNN memory. compute s8 needs
// `calib` (one entry per block of the model) and a pre-LN family (vit, deit).
expected<vit_params> build_params(const dnnl_context& ctx, const model_config& cfg, dnnl_dt compute,
                                  int first, int last, const weight_source& source,
                                  const int8_calibration* calib = nullptr);

} // namespace edgepipe::ops
