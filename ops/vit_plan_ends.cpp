// The two ends of a model, per family: the embeddings (planner layer 1, before
// block 0's attention) and the head (planner layer 4L, after the last block).
//   vit   patches -> matmul, [CLS] + patches + positions;  LN(CLS) -> classifier
//   deit  as vit with [CLS, DIST] + patches;  LN(CLS) -> classifier, or, distilled,
//         (classifier(LN(CLS)) + distillation_classifier(LN(DIST))) / 2
//   bert  word[id] + position[t] + token_type[type] -> LN;  tanh(pooler(first
//         token)) -> classifier (BertForSequenceClassification) or the pooled output
#include <cstring>

#include "ops/cpu_support.hpp"
#include "ops/vit_plan.hpp"

namespace edgepipe::ops {

void vit_plan::build_embed() {
  if (cfg_.is_text()) return; // a gather in a loop, then the block's LayerNorm primitive
  const int64_t b = batch_, d = cfg_.hidden_size, n = cfg_.num_patches();
  const int64_t k = int64_t{cfg_.num_channels} * cfg_.patch_size * cfg_.patch_size;
  // int8 compute embeds in its side dtype (vit_params stores the patch weights so).
  const dnnl_dt c = params_.compute == dnnl_dt::s8 ? int8_side_dtype() : params_.compute;
  const dnnl_dt f32 = dnnl_dt::f32;
  patches_ = buffer({b * n, k}, f32);
  patches_c_ = lowp_ ? buffer({b * n, k}, c) : patches_;
  emb_ = buffer({b * n, d}, f32);
  if (lowp_) {
    auto pd = reorder_pd(dnnl_, patches_.get_desc(), patches_c_.get_desc());
    note("patches to bf16", pd);
    patch_to_c_p_ = dnnl::reorder(pd);
  }
  dnnl::memory::desc bias_d({1, d}, f32, dnnl_tag::ab);
  auto pd = matmul_on(dnnl_, patches_c_.get_desc(), params_.layouts.patch, bias_d, emb_.get_desc(),
                      scratchpad_attr());
  note("patch embedding", pd);
  patch_p_ = dnnl::matmul(pd);
}

void vit_plan::build_head() {
  const int64_t b = batch_, d = cfg_.hidden_size, labels = cfg_.num_labels;
  const dnnl_dt f32 = dnnl_dt::f32;
  const int64_t n = cfg_.distilled ? 2 : 1; // tokens the head reads per sample
  cls_ = buffer({b * n, d}, f32);
  dnnl::memory::desc bias_l({1, labels}, f32, dnnl_tag::ab);
  if (cfg_.is_text()) {
    pooled_ = buffer({b, d}, f32);
    dnnl::post_ops tanh;
    tanh.append_eltwise(1.0f, dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f);
    auto attr = scratchpad_attr();
    attr.set_post_ops(tanh);
    dnnl::memory::desc bias_d({1, d}, f32, dnnl_tag::ab);
    auto pd =
        matmul_on(dnnl_, cls_.get_desc(), params_.layouts.pooler, bias_d, pooled_.get_desc(), attr);
    note("pooler tanh", pd);
    pooler_p_ = dnnl::matmul(pd);
    if (!params_.head->classifier) {
      logits = pooled_;
      return;
    }
    head_in_ = pooled_;
  } else {
    cls_ln_ = buffer({b * n, d}, f32);
    auto lpd = layer_norm_pd(dnnl_, b * n, d, cfg_.layer_norm_eps);
    note("final layernorm", lpd);
    head_ln_p_ = dnnl::layer_normalization_forward(lpd);
    // [B*n, D] row-major is [B, n*D]: the distilled DeiT's [CLS | DIST] per sample.
    head_in_ = memory_view(cls_ln_, {{b, n * d}, f32, dnnl_tag::ab}, 0);
  }
  logits = buffer({b, labels}, f32);
  auto pd = matmul_on(dnnl_, head_in_.get_desc(), params_.layouts.head, bias_l, logits.get_desc(),
                      scratchpad_attr());
  note("classifier", pd);
  head_p_ = dnnl::matmul(pd);
}

void vit_plan::embed_images(const float* images) {
  const int64_t b = batch_, c = cfg_.num_channels, img = cfg_.image_size, p = cfg_.patch_size;
  const int64_t g = img / p, n = g * g, t = tokens_, d = cfg_.hidden_size, k = c * p * p;
  const int64_t extra = cfg_.extra_tokens();
  // Unfold the patches: row (b, gy, gx), column (c, ky, kx), the order of the
  // conv weight [D, C, p, p] flattened, so the convolution is one matmul.
  float* patches = static_cast<float*>(patches_.get_data_handle());
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t gy = 0; gy < g; ++gy)
      for (int64_t gx = 0; gx < g; ++gx) {
        float* row = patches + ((bi * n) + gy * g + gx) * k;
        for (int64_t ci = 0; ci < c; ++ci)
          for (int64_t ky = 0; ky < p; ++ky) {
            const float* src = images + ((bi * c + ci) * img + gy * p + ky) * img + gx * p;
            std::memcpy(row + (ci * p + ky) * p, src, p * sizeof(float));
          }
      }
  if (lowp_) run(patch_to_c_p_, {{DNNL_ARG_FROM, patches_}, {DNNL_ARG_TO, patches_c_}});
  const embed_params& e = *params_.embed;
  run(patch_p_, {{DNNL_ARG_SRC, patches_c_},
                 {DNNL_ARG_WEIGHTS, e.weight},
                 {DNNL_ARG_BIAS, e.bias},
                 {DNNL_ARG_DST, emb_}});
  dnnl_.strm.wait();
  // Tokens: [CLS, (DIST,) patch 0, ...] plus the position embeddings.
  const float* emb = static_cast<const float*>(emb_.get_data_handle());
  float* xs = static_cast<float*>(x.get_data_handle());
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t ti = 0; ti < t; ++ti) {
      const float* from = ti == 0      ? e.cls.data()
                          : ti < extra ? e.dist.data()
                                       : emb + (bi * n + ti - extra) * d;
      const float* pos = e.pos.data() + ti * d;
      float* to = xs + (bi * t + ti) * d;
      for (int64_t j = 0; j < d; ++j) to[j] = from[j] + pos[j];
    }
}

// ids and types were checked by the caller (whole numbers inside their tables).
void vit_plan::embed_tokens(const float* ids, const float* types) {
  const int64_t t = tokens_, d = cfg_.hidden_size;
  const embed_params& e = *params_.embed;
  float* sum = static_cast<float*>(ln_.get_data_handle());
  for (int64_t bi = 0; bi < batch_; ++bi)
    for (int64_t ti = 0; ti < t; ++ti) {
      const int64_t at = bi * t + ti;
      const float* word = e.word.data() + static_cast<int64_t>(ids[at]) * d;
      const float* type = e.token_type.data() + (types ? static_cast<int64_t>(types[at]) : 0) * d;
      const float* pos = e.pos.data() + ti * d;
      float* to = sum + at * d;
      for (int64_t j = 0; j < d; ++j) to[j] = word[j] + pos[j] + type[j];
    }
  layer_norm(ln_, x, e.norm_scale, e.norm_shift);
}

void vit_plan::head() {
  const int64_t t = tokens_, d = cfg_.hidden_size;
  const int64_t n = cfg_.distilled ? 2 : 1;
  dnnl_.strm.wait();
  const float* xs = static_cast<const float*>(x.get_data_handle());
  float* cls = static_cast<float*>(cls_.get_data_handle());
  for (int64_t bi = 0; bi < batch_; ++bi) // the first n tokens of each sample
    std::memcpy(cls + bi * n * d, xs + bi * t * d, n * d * sizeof(float));
  const head_params& w = *params_.head;
  if (cfg_.is_text()) {
    run(pooler_p_, {{DNNL_ARG_SRC, cls_},
                    {DNNL_ARG_WEIGHTS, w.pooler_w},
                    {DNNL_ARG_BIAS, w.pooler_b},
                    {DNNL_ARG_DST, pooled_}});
    if (!w.classifier) return;
  } else {
    run(head_ln_p_, {{DNNL_ARG_SRC, cls_},
                     {DNNL_ARG_DST, cls_ln_},
                     {DNNL_ARG_SCALE, w.ln_scale},
                     {DNNL_ARG_SHIFT, w.ln_shift}});
  }
  run(head_p_, {{DNNL_ARG_SRC, head_in_},
                {DNNL_ARG_WEIGHTS, w.weight},
                {DNNL_ARG_BIAS, w.bias},
                {DNNL_ARG_DST, logits}});
}

} // namespace edgepipe::ops
