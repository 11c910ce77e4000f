// vit_plan: what one (batch size, token count) needs to run a model's layers:
// the activation buffers, every oneDNN primitive (created once, reused for
// every block and every call) and one user scratchpad sized to the largest
// primitive's need. One plan serves every family: the encoder block is the
// same; ViT/DeiT normalise before each sub-block (pre-LN), BERT after each
// residual add (post-LN) and masks padded keys; embeddings and heads differ
// (vit_plan_ends.cpp).
//
// Data types: the residual stream `x` is always f32; with bf16 compute the
// LayerNorm output, Q/K/V, attention probabilities, the attention context and
// the fc1 output are bf16, and matmuls accumulate into f32 where a residual
// is added. The head (classifier, pooler) is f32 in both modes (it is tiny).
//
// int8 compute (params.compute s8, pre-LN blocks only): the four matmuls of
// every block take s8 inputs and s8 weights (VNNI); LayerNorm, softmax and
// GELU stay in f32, the attention (QK^T, PV) and the patch embedding run in
// bf16 as in bf16 mode. The LayerNorm outputs and the attention context are
// quantized by a reorder with the block's calibrated step; fc1 writes its
// output (GELU applied) straight as s8 with fc2's input step. Scales differ
// per block, and oneDNN 2.6 runs runtime scales on slow reference kernels, so
// the int8 matmuls and quantizing reorders are made per block (with the
// scales fixed in them).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ops/int8_calibration.hpp"
#include "ops/vit_params.hpp"

namespace edgepipe::ops {

class vit_plan {
public:
  // Primitives for the embedding and the head are made only when asked for.
  static expected<std::unique_ptr<vit_plan>>
  create(const dnnl_context& ctx, const model_config& cfg, const vit_params& params, int64_t batch,
         int64_t tokens, bool with_embed, bool with_head);

  int64_t batch() const { return batch_; }
  int64_t tokens() const { return tokens_; }

  // The buffers at layer boundaries (see activation.hpp), row-major:
  dnnl::memory x;      // residual stream, f32 [B*T, D]
  dnnl::memory ctx;    // attention context, compute type [B*T, D] (int8: bf16)
  dnnl::memory h;      // fc1 + GELU output, compute type [B*T, I] (int8: s8, step fc2_in)
  dnnl::memory logits; // f32 [B, output_size]

  // The attention mask of the batch, [B, T] 1 (attend) / 0 (padding), or
  // null: no padding. Read before every attention until set again.
  void set_mask(const float* mask);

  // The planner layers of block k: 4k+1 (with the embedding when k = 0),
  // 4k+2, 4k+3, 4k+4 (with the head when k = L-1).
  void embed_images(const float* images);                  // [B, C, H, W]
  void embed_tokens(const float* ids, const float* types); // [B, T] each; types may be null
  void attention(int block);
  // context_is_s8: context_s8() already holds the quantized context (it
  // crossed a stage boundary as s8), so the quantizing reorder is skipped.
  void attention_output(int block, bool context_is_s8 = false);
  void mlp_in(int block);
  void mlp_out(int block);
  void head();

  // int8: the attention context quantized to s8 with block k's out_in step,
  // [B*T, D]: what attention_output(k) feeds its matmul. quantize_context(k)
  // fills it from ctx with the same reorder attention_output(k) runs.
  const dnnl::memory& context_s8() const { return ctx_q_; }
  void quantize_context(int block);

  // "qkv: brg:avx512_core" etc., to check that no primitive fell back to a slow kernel.
  std::vector<std::string> implementations() const { return impls_; }

  // f32 only: called with each int8 site's f32 values as they are computed
  // (calibration, int8_calibration.hpp). Empty: no calls.
  std::function<void(int block, int8_site site, const float* x, int64_t n)> observer;

private:
  vit_plan(const dnnl_context& ctx, const model_config& cfg, const vit_params& params, int64_t b,
           int64_t t)
      : dnnl_(ctx), cfg_(cfg), params_(params), batch_(b), tokens_(t) {}
  void build(bool with_embed, bool with_head);
  void build_embed();
  void build_head();
  void build_int8(int block);
  void observe(int block, int8_site site, const dnnl::memory& m);
  void run(const dnnl::primitive& p, dnnl_args args);
  void note(const std::string& name, const dnnl::primitive_desc_base& pd);
  dnnl::memory buffer(dnnl_dims dims, dnnl_dt dt);
  void layer_norm(const dnnl::memory& src, const dnnl::memory& dst, const dnnl::memory& scale,
                  const dnnl::memory& shift);
  const dnnl::memory& matmul_input(); // x, in the compute type (post-LN)
  void mask_scores();

  const dnnl_context& dnnl_;
  const model_config& cfg_;
  const vit_params& params_;
  int64_t batch_, tokens_;
  bool lowp_ = false;
  bool post_norm_ = false; // BERT
  bool int8_ = false;
  std::vector<std::string> impls_;
  size_t scratch_bytes_ = 0;
  dnnl::memory scratch_;
  std::vector<float> mask_bias_; // [B, T]: 0, or a large negative for a padded key
  bool masked_ = false;

  // Buffers inside a layer.
  dnnl::memory ln_, ln_c_;      // LayerNorm output f32, and in compute type
  dnnl::memory qkv_;            // [B*T, 3D]
  dnnl::memory q_, k_t_, v_;    // dense per-head views: [B*H, T, hd], K as [B*H, hd, T]
  dnnl::memory heads_;          // Q, K, V dense [3, B, H, T, hd]
  dnnl::memory qkv_strided_;    // qkv_ seen as [3, B, H, T, hd]
  dnnl::memory scores_, probs_; // [B*H*T, T]
  dnnl::memory probs_4d_, v_4d_, ctx_heads_;
  dnnl::memory patches_, patches_c_, emb_; // image embedding: [B*N, C*p*p] and [B*N, D]
  dnnl::memory cls_, cls_ln_;              // head: the head tokens [B*n, D]
  dnnl::memory head_in_;                   // head: classifier input [B, n*D]
  dnnl::memory pooled_;                    // bert: pooler output [B, D]

  dnnl::primitive ln_p_, to_c_p_, qkv_p_, split_p_, qk_p_, softmax_p_, pv_p_, out_p_, fc1_p_,
      fc2_p_;
  dnnl::primitive patch_to_c_p_, patch_p_, head_ln_p_, pooler_p_, head_p_;

  // int8: s8 inputs of the block matmuls, and per block the quantizing
  // reorders and matmuls (empty for parts whose weights are not loaded).
  dnnl::memory ln_q_, ctx_q_;
  struct int8_block {
    dnnl::primitive ln1_q, qkv, ctx_q, out, ln2_q, fc1, fc2;
  };
  std::vector<int8_block> qblocks_;
};

} // namespace edgepipe::ops
