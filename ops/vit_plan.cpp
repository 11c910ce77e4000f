#include "ops/vit_plan.hpp"

#include "ops/cpu_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

namespace edgepipe::ops {
namespace {

using ln_fwd = dnnl::layer_normalization_forward;
using softmax_fwd = dnnl::softmax_v2_forward;
constexpr auto inference = dnnl::prop_kind::forward_inference;

// What a padded key adds to its attention scores: exp() of it is 0 in f32,
// and a row with every key padded stays finite (uniform), as in Hugging Face.
constexpr float padded_key = -1e30f;

// A reorder that quantizes to s8 with step `step`: round(x / step), saturated.
dnnl::reorder::primitive_desc quantize_pd(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                          const dnnl::memory::desc& dst, float step) {
  auto attr = scratchpad_attr();
  attr.set_output_scales(0, {1.0f / step});
  return dnnl::reorder::primitive_desc(ctx.eng, src, ctx.eng, dst, attr);
}

// The attribute of an int8 matmul: per-output-channel scales, then post-ops.
dnnl::primitive_attr int8_attr(const std::vector<float>& scales, const dnnl::post_ops& ops) {
  auto attr = scratchpad_attr();
  attr.set_output_scales(2, scales);
  attr.set_post_ops(ops);
  return attr;
}

} // namespace

expected<std::unique_ptr<vit_plan>>
vit_plan::create(const dnnl_context& ctx, const model_config& cfg, const vit_params& params,
                 int64_t batch, int64_t tokens, bool with_embed, bool with_head) {
  std::unique_ptr<vit_plan> plan(new vit_plan(ctx, cfg, params, batch, tokens));
  try {
    ctx.use_threads();
    plan->build(with_embed, with_head);
  } catch (const dnnl::error& e) {
    return dnnl_failure("creating primitives for batch " + std::to_string(batch), e);
  } catch (const std::bad_alloc&) {
    return make_error(errc::internal,
                      "creating primitives for batch " + std::to_string(batch) + ": out of memory");
  }
  return plan;
}

dnnl::memory vit_plan::buffer(dnnl_dims dims, dnnl_dt dt) {
  dnnl_tag tag = dims.size() == 2   ? dnnl_tag::ab
                 : dims.size() == 3 ? dnnl_tag::abc
                                    : dnnl_tag::abcd;
  return dnnl::memory({dims, dt, tag}, dnnl_.eng);
}

void vit_plan::note(const std::string& name, const dnnl::primitive_desc_base& pd) {
  impls_.push_back(name + ": " + pd.impl_info_str());
  scratch_bytes_ = std::max(scratch_bytes_, pd.scratchpad_desc().get_size());
}

void vit_plan::build(bool with_embed, bool with_head) {
  const int64_t b = batch_, t = tokens_, d = cfg_.hidden_size, nh = cfg_.num_attention_heads;
  const int64_t hd = cfg_.head_dim(), inter = cfg_.intermediate_size, bt = b * t;
  const dnnl_dt f32 = dnnl_dt::f32;
  int8_ = params_.compute == dnnl_dt::s8;
  // int8 keeps attention out of int8, in bf16 where this CPU has it (cpu_support.hpp).
  const dnnl_dt c = int8_ ? int8_side_dtype() : params_.compute;
  lowp_ = c != f32;
  post_norm_ = cfg_.is_text();
  const weight_layouts& lay = params_.layouts;
  const size_t esize = dnnl::memory::data_type_size(c);

  x = buffer({bt, d}, f32);
  ctx = buffer({bt, d}, c);
  h = buffer({bt, inter}, int8_ ? dnnl_dt::s8 : c);
  ln_ = buffer({bt, d}, f32);
  ln_c_ = lowp_ && !int8_ ? buffer({bt, d}, c) : ln_;
  qkv_ = buffer({bt, 3 * d}, c);
  scores_ = buffer({b * nh * t, t}, f32);
  probs_ = lowp_ ? buffer({b * nh * t, t}, c) : scores_;

  // Layer 4k+1: LayerNorm, fused Q/K/V projection, attention.
  // Post-LN models normalise x in place; their matmuls read x (converted to bf16 by to_c_p_).
  auto ln_pd = layer_norm_pd(dnnl_, bt, d, cfg_.layer_norm_eps);
  note("layernorm", ln_pd);
  ln_p_ = ln_fwd(ln_pd);
  if (lowp_ && !int8_) {
    auto pd = reorder_pd(dnnl_, ln_.get_desc(), ln_c_.get_desc());
    note("layernorm to bf16", pd);
    to_c_p_ = dnnl::reorder(pd);
  }
  dnnl::memory::desc bias_d({1, d}, f32, dnnl_tag::ab), bias_3d({1, 3 * d}, f32, dnnl_tag::ab);
  dnnl::memory::desc bias_i({1, inter}, f32, dnnl_tag::ab);
  if (!int8_) {
    auto qkv_pd =
        matmul_on(dnnl_, ln_c_.get_desc(), lay.qkv, bias_3d, qkv_.get_desc(), scratchpad_attr());
    note("qkv", qkv_pd);
    qkv_p_ = dnnl::matmul(qkv_pd);
  }

  // Q, K and V of every head made dense: strided views go to slow kernels.
  // qkv_ row (b, t) holds [q | k | v], each [H, hd]: as [3, B, H, T, hd] its
  // strides are (D, T*3D, hd, 3D, 1).
  dnnl::memory::desc strided({3, b, nh, t, hd}, c, dnnl_dims{d, t * 3 * d, hd, 3 * d, 1});
  dnnl::memory::desc dense({3, b, nh, t, hd}, c, dnnl_tag::abcde);
  heads_ = dnnl::memory(dense, dnnl_.eng);
  qkv_strided_ = memory_view(qkv_, strided, 0);
  auto split_pd = reorder_pd(dnnl_, strided, dense);
  note("split heads", split_pd);
  split_p_ = dnnl::reorder(split_pd);

  const int64_t one = b * nh * t * hd; // elements of Q (or K, or V)
  dnnl::memory::desc q_d({b * nh, t, hd}, c, dnnl_tag::abc);
  dnnl::memory::desc k_t_d({b * nh, hd, t}, c, dnnl_tag::acb); // K transposed, in place
  q_ = memory_view(heads_, q_d, 0);
  k_t_ = memory_view(heads_, k_t_d, one * esize);
  dnnl::memory::desc scores3({b * nh, t, t}, f32, dnnl_tag::abc);
  auto qk_attr = scratchpad_attr();
  qk_attr.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(hd))});
  auto qk_pd = make_matmul(dnnl_, q_d, k_t_d, {}, scores3, qk_attr);
  note("q k^T", qk_pd);
  qk_p_ = dnnl::matmul(qk_pd);

  auto sm_pd =
      softmax_fwd::primitive_desc(softmax_fwd::desc(inference, dnnl::algorithm::softmax_accurate,
                                                    scores_.get_desc(), probs_.get_desc(), 1),
                                  scratchpad_attr(), dnnl_.eng);
  note("softmax", sm_pd);
  softmax_p_ = softmax_fwd(sm_pd);

  // probs [B, H, T, T] x V [B, H, T, hd] written straight into ctx [B, T, H, hd].
  dnnl::memory::desc probs4({b, nh, t, t}, c, dnnl_tag::abcd);
  dnnl::memory::desc v4({b, nh, t, hd}, c, dnnl_tag::abcd);
  dnnl::memory::desc ctx4({b, nh, t, hd}, c, dnnl_dims{t * d, hd, d, 1});
  probs_4d_ = memory_view(probs_, probs4, 0);
  v_4d_ = memory_view(heads_, v4, 2 * one * esize);
  ctx_heads_ = memory_view(ctx, ctx4, 0);
  auto pv_pd = make_matmul(dnnl_, probs4, v4, {}, ctx4, scratchpad_attr());
  note("probs v", pv_pd);
  pv_p_ = dnnl::matmul(pv_pd);

  // Layers 4k+2 and 4k+4: the residual add is a sum post-op into x, in place.
  dnnl::post_ops sum;
  sum.append_sum(1.0f);
  auto sum_attr = scratchpad_attr();
  sum_attr.set_post_ops(sum);
  // Layer 4k+3: LayerNorm (same primitive as above), fc1 with GELU (erf) post-op.
  dnnl::post_ops gelu;
  gelu.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
  auto gelu_attr = scratchpad_attr();
  gelu_attr.set_post_ops(gelu);
  if (!int8_) {
    auto out_pd = matmul_on(dnnl_, ctx.get_desc(), lay.out, bias_d, x.get_desc(), sum_attr);
    note("attention output", out_pd);
    out_p_ = dnnl::matmul(out_pd);
    auto fc1_pd = matmul_on(dnnl_, ln_c_.get_desc(), lay.fc1, bias_i, h.get_desc(), gelu_attr);
    note("fc1 gelu", fc1_pd);
    fc1_p_ = dnnl::matmul(fc1_pd);
    auto fc2_pd = matmul_on(dnnl_, h.get_desc(), lay.fc2, bias_d, x.get_desc(), sum_attr);
    note("fc2", fc2_pd);
    fc2_p_ = dnnl::matmul(fc2_pd);
  } else {
    ln_q_ = buffer({bt, d}, dnnl_dt::s8);
    ctx_q_ = buffer({bt, d}, dnnl_dt::s8);
    qblocks_.resize(cfg_.num_hidden_layers);
    for (int k = 0; k < cfg_.num_hidden_layers; ++k) build_int8(k);
  }

  if (with_embed) build_embed();
  if (with_head) build_head();
  scratch_ = dnnl::memory(
      {{static_cast<int64_t>(std::max<size_t>(scratch_bytes_, 1))}, dnnl_dt::u8, dnnl_tag::a},
      dnnl_.eng);
}

void vit_plan::build_int8(int k) {
  const block_params& w = params_.blocks[k];
  const weight_layouts& lay = params_.layouts;
  const int64_t d = cfg_.hidden_size, inter = cfg_.intermediate_size;
  const std::string blk = " (block " + std::to_string(k) + ")";
  int8_block& q = qblocks_[k];
  dnnl::memory::desc bias_d({1, d}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::memory::desc bias_3d({1, 3 * d}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::memory::desc bias_i({1, inter}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::post_ops none, sum, gelu_q;
  sum.append_sum(1.0f);
  gelu_q.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
  gelu_q.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f / w.fc2_in, 0.0f);
  if (w.qkv_q.weight) {
    auto qpd = quantize_pd(dnnl_, ln_.get_desc(), ln_q_.get_desc(), w.qkv_in);
    note("layernorm to s8" + blk, qpd);
    q.ln1_q = dnnl::reorder(qpd);
    auto pd = matmul_on(dnnl_, ln_q_.get_desc(), lay.qkv, bias_3d, qkv_.get_desc(),
                        int8_attr(w.qkv_q.output_scales, none));
    note("qkv int8" + blk, pd);
    q.qkv = dnnl::matmul(pd);
  }
  // The context's quantizing reorder serves the output projection, and a
  // stage that ends after the attention (it sends the context as s8).
  if (w.qkv_q.weight || w.out_q.weight) {
    auto qpd = quantize_pd(dnnl_, ctx.get_desc(), ctx_q_.get_desc(), w.out_in);
    note("context to s8" + blk, qpd);
    q.ctx_q = dnnl::reorder(qpd);
  }
  if (w.out_q.weight) {
    auto pd = matmul_on(dnnl_, ctx_q_.get_desc(), lay.out, bias_d, x.get_desc(),
                        int8_attr(w.out_q.output_scales, sum));
    note("attention output int8" + blk, pd);
    q.out = dnnl::matmul(pd);
  }
  if (w.fc1_q.weight) {
    auto qpd = quantize_pd(dnnl_, ln_.get_desc(), ln_q_.get_desc(), w.fc1_in);
    note("layernorm 2 to s8" + blk, qpd);
    q.ln2_q = dnnl::reorder(qpd);
    auto pd = matmul_on(dnnl_, ln_q_.get_desc(), lay.fc1, bias_i, h.get_desc(),
                        int8_attr(w.fc1_q.output_scales, gelu_q));
    note("fc1 gelu int8" + blk, pd);
    q.fc1 = dnnl::matmul(pd);
  }
  if (w.fc2_q.weight) {
    auto pd = matmul_on(dnnl_, h.get_desc(), lay.fc2, bias_d, x.get_desc(),
                        int8_attr(w.fc2_q.output_scales, sum));
    note("fc2 int8" + blk, pd);
    q.fc2 = dnnl::matmul(pd);
  }
}

void vit_plan::observe(int block, int8_site site, const dnnl::memory& m) {
  if (!observer || m.get_desc().data_type() != dnnl_dt::f32) return;
  dnnl_.strm.wait();
  const int64_t n = static_cast<int64_t>(m.get_desc().get_size() / sizeof(float));
  observer(block, site, static_cast<const float*>(m.get_data_handle()), n);
}

void vit_plan::run(const dnnl::primitive& p, dnnl_args args) {
  args.emplace(DNNL_ARG_SCRATCHPAD, scratch_);
  p.execute(dnnl_.strm, args);
}

void vit_plan::layer_norm(const dnnl::memory& src, const dnnl::memory& dst,
                          const dnnl::memory& scale, const dnnl::memory& shift) {
  run(ln_p_,
      {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift}});
}

const dnnl::memory& vit_plan::matmul_input() {
  if (!lowp_) return x;
  run(to_c_p_, {{DNNL_ARG_FROM, x}, {DNNL_ARG_TO, ln_c_}});
  return ln_c_;
}

void vit_plan::set_mask(const float* mask) {
  masked_ = false;
  if (!mask) return;
  mask_bias_.assign(static_cast<size_t>(batch_ * tokens_), 0.0f);
  for (size_t i = 0; i < mask_bias_.size(); ++i)
    if (mask[i] == 0.0f) {
      mask_bias_[i] = padded_key;
      masked_ = true;
    }
}

// scores [B, H, T(query), T(key)] += bias of the key; a plain loop: it is
// B*H*T*T adds, small beside the matmuls around it.
void vit_plan::mask_scores() {
  const int64_t t = tokens_, nh = cfg_.num_attention_heads;
  dnnl_.strm.wait();
  float* s = static_cast<float*>(scores_.get_data_handle());
  for (int64_t bi = 0; bi < batch_; ++bi) {
    const float* bias = mask_bias_.data() + bi * t;
    for (int64_t row = 0; row < nh * t; ++row) {
      float* r = s + (bi * nh * t + row) * t;
      for (int64_t j = 0; j < t; ++j) r[j] += bias[j];
    }
  }
}

void vit_plan::attention(int block) {
  const block_params& w = params_.blocks[block];
  dnnl::memory src = ln_c_;
  if (post_norm_) {
    src = matmul_input();
  } else {
    layer_norm(x, ln_, w.ln1_scale, w.ln1_shift);
    observe(block, int8_site::qkv_in, ln_);
    if (lowp_ && !int8_) run(to_c_p_, {{DNNL_ARG_FROM, ln_}, {DNNL_ARG_TO, ln_c_}});
  }
  if (int8_) { // pre-LN only (build_params refuses int8 for post-LN models)
    run(qblocks_[block].ln1_q, {{DNNL_ARG_FROM, ln_}, {DNNL_ARG_TO, ln_q_}});
    run(qblocks_[block].qkv, {{DNNL_ARG_SRC, ln_q_},
                              {DNNL_ARG_WEIGHTS, w.qkv_q.weight},
                              {DNNL_ARG_BIAS, w.qkv_q.bias},
                              {DNNL_ARG_DST, qkv_}});
  } else {
    run(qkv_p_, {{DNNL_ARG_SRC, src},
                 {DNNL_ARG_WEIGHTS, w.qkv_w},
                 {DNNL_ARG_BIAS, w.qkv_b},
                 {DNNL_ARG_DST, qkv_}});
  }
  run(split_p_, {{DNNL_ARG_FROM, qkv_strided_}, {DNNL_ARG_TO, heads_}});
  run(qk_p_, {{DNNL_ARG_SRC, q_}, {DNNL_ARG_WEIGHTS, k_t_}, {DNNL_ARG_DST, scores_}});
  if (masked_) mask_scores();
  run(softmax_p_, {{DNNL_ARG_SRC, scores_}, {DNNL_ARG_DST, probs_}});
  run(pv_p_, {{DNNL_ARG_SRC, probs_4d_}, {DNNL_ARG_WEIGHTS, v_4d_}, {DNNL_ARG_DST, ctx_heads_}});
  observe(block, int8_site::out_in, ctx);
}

void vit_plan::quantize_context(int block) {
  run(qblocks_[block].ctx_q, {{DNNL_ARG_FROM, ctx}, {DNNL_ARG_TO, ctx_q_}});
}

void vit_plan::attention_output(int block, bool context_is_s8) {
  const block_params& w = params_.blocks[block];
  if (int8_) {
    if (!context_is_s8) quantize_context(block);
    run(qblocks_[block].out, {{DNNL_ARG_SRC, ctx_q_},
                              {DNNL_ARG_WEIGHTS, w.out_q.weight},
                              {DNNL_ARG_BIAS, w.out_q.bias},
                              {DNNL_ARG_DST, x}});
    return;
  }
  run(out_p_, {{DNNL_ARG_SRC, ctx},
               {DNNL_ARG_WEIGHTS, w.out_w},
               {DNNL_ARG_BIAS, w.out_b},
               {DNNL_ARG_DST, x}});
  if (post_norm_) layer_norm(x, x, w.ln1_scale, w.ln1_shift);
}

void vit_plan::mlp_in(int block) {
  const block_params& w = params_.blocks[block];
  dnnl::memory src = ln_c_;
  if (post_norm_) {
    src = matmul_input();
  } else {
    layer_norm(x, ln_, w.ln2_scale, w.ln2_shift);
    observe(block, int8_site::fc1_in, ln_);
    if (int8_) {
      run(qblocks_[block].ln2_q, {{DNNL_ARG_FROM, ln_}, {DNNL_ARG_TO, ln_q_}});
      run(qblocks_[block].fc1, {{DNNL_ARG_SRC, ln_q_},
                                {DNNL_ARG_WEIGHTS, w.fc1_q.weight},
                                {DNNL_ARG_BIAS, w.fc1_q.bias},
                                {DNNL_ARG_DST, h}});
      return;
    }
    if (lowp_) run(to_c_p_, {{DNNL_ARG_FROM, ln_}, {DNNL_ARG_TO, ln_c_}});
  }
  run(fc1_p_, {{DNNL_ARG_SRC, src},
               {DNNL_ARG_WEIGHTS, w.fc1_w},
               {DNNL_ARG_BIAS, w.fc1_b},
               {DNNL_ARG_DST, h}});
  observe(block, int8_site::fc2_in, h);
}

void vit_plan::mlp_out(int block) {
  const block_params& w = params_.blocks[block];
  if (int8_) {
    run(qblocks_[block].fc2, {{DNNL_ARG_SRC, h},
                              {DNNL_ARG_WEIGHTS, w.fc2_q.weight},
                              {DNNL_ARG_BIAS, w.fc2_q.bias},
                              {DNNL_ARG_DST, x}});
    return;
  }
  run(fc2_p_, {{DNNL_ARG_SRC, h},
               {DNNL_ARG_WEIGHTS, w.fc2_w},
               {DNNL_ARG_BIAS, w.fc2_b},
               {DNNL_ARG_DST, x}});
  if (post_norm_) layer_norm(x, x, w.ln2_scale, w.ln2_shift);
}

} // namespace edgepipe::ops
