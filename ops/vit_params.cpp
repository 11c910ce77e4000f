#include "ops/vit_params.hpp"

#include "ops/cpu_support.hpp"

#include <cstring>
#include <map>
#include <new>

namespace edgepipe::ops {
namespace {

// The layout oneDNN picks for [k, n] weights when the src has `m` rows.
// For s8 the matmul has per-channel output scales, as the int8 layers do.
dnnl::memory::desc choose_layout(const dnnl_context& ctx, int64_t m, int64_t k, int64_t n,
                                 dnnl_dt compute) {
  dnnl::memory::desc src({m, k}, compute, dnnl_tag::ab);
  dnnl::memory::desc weights({k, n}, compute, dnnl_tag::any);
  dnnl::memory::desc bias({1, n}, dnnl_dt::f32, dnnl_tag::ab);
  dnnl::memory::desc dst({m, n}, dnnl_dt::f32, dnnl_tag::ab);
  auto attr = scratchpad_attr();
  if (compute == dnnl_dt::s8) attr.set_output_scales(2, std::vector<float>(n, 1.0f));
  return make_matmul(ctx, src, weights, bias, dst, attr).weights_desc();
}

// A Hugging Face weight [n, k] (out, in) read as the matmul's [k, n] through
// the transposed tag ba, reordered into `layout` (and to bf16 when it says so).
dnnl::memory linear_weight(const dnnl_context& ctx, const float* data, int64_t k, int64_t n,
                           const dnnl::memory::desc& layout) {
  dnnl::memory::desc user_md({k, n}, dnnl_dt::f32, dnnl_tag::ba);
  dnnl::memory user(user_md, ctx.eng, const_cast<float*>(data));
  dnnl::memory weights(layout, ctx.eng);
  reorder_now(ctx, user, weights);
  return weights;
}

dnnl::memory f32_memory(const dnnl_context& ctx, const std::vector<float>& v, dnnl_dims dims) {
  dnnl::memory m({dims, dnnl_dt::f32, dims.size() == 1 ? dnnl_tag::a : dnnl_tag::ab}, ctx.eng);
  std::memcpy(m.get_data_handle(), v.data(), v.size() * sizeof(float));
  return m;
}

dnnl::memory bias_memory(const dnnl_context& ctx, const std::vector<float>& v) {
  return f32_memory(ctx, v, {1, static_cast<int64_t>(v.size())});
}

dnnl::memory vector_memory(const dnnl_context& ctx, const std::vector<float>& v) {
  return f32_memory(ctx, v, {static_cast<int64_t>(v.size())});
}

// One layer's tensors by role (a role occurs at most once per layer).
using host_weights = std::map<weight_role, tensor>;

expected<host_weights> fetch_layer(const model_config& cfg, int layer,
                                   const weight_source& source) {
  host_weights w;
  for (const auto& spec : layer_weights(cfg, layer)) {
    auto t = source(spec);
    if (!t) return t.error();
    if (t->shape != spec.shape)
      return make_error(errc::invalid_input, "tensor " + spec.name + " has shape " +
                                                 shape_string(t->shape) + ", expected " +
                                                 shape_string(spec.shape));
    w[spec.role] = std::move(*t);
  }
  return w;
}

// The classifier of a distilled DeiT: [labels, 2D] = 0.5 * [cls | dist] per
// row (out, in), bias 0.5 * (b_cls + b_dist). Halving is exact in binary.
void stack_halves(std::vector<float>& w_cls, const std::vector<float>& w_dist,
                  std::vector<float>& b_cls, const std::vector<float>& b_dist, int64_t d) {
  const int64_t labels = static_cast<int64_t>(b_cls.size());
  std::vector<float> w(static_cast<size_t>(labels * 2 * d));
  for (int64_t l = 0; l < labels; ++l)
    for (int64_t j = 0; j < d; ++j) {
      w[l * 2 * d + j] = 0.5f * w_cls[l * d + j];
      w[l * 2 * d + d + j] = 0.5f * w_dist[l * d + j];
    }
  for (int64_t l = 0; l < labels; ++l) b_cls[l] = 0.5f * (b_cls[l] + b_dist[l]);
  w_cls = std::move(w);
}

} // namespace

expected<vit_params> build_params(const dnnl_context& ctx, const model_config& cfg, dnnl_dt compute,
                                  int first, int last, const weight_source& source,
                                  const int8_calibration* calib) {
  using r = weight_role;
  const int64_t t = cfg.tokens(), d = cfg.hidden_size, inter = cfg.intermediate_size;
  const int64_t patch_k = int64_t{cfg.num_channels} * cfg.patch_size * cfg.patch_size;
  const int64_t head_k = cfg.distilled ? 2 * d : d;
  vit_params p;
  p.compute = compute;
  const bool int8 = compute == dnnl_dt::s8;
  if (int8 && cfg.is_text())
    return make_error(errc::invalid_argument,
                      "int8 is implemented for ViT/DeiT blocks (pre-LN), not for " +
                          std::string(to_string(cfg.family)) +
                          "'s post-LN blocks: use f32 or bf16");
  if (int8 && (!calib || calib->clip.size() != size_t(cfg.num_hidden_layers)))
    return make_error(errc::invalid_argument,
                      "int8 needs a calibration with one entry per block (" +
                          std::to_string(cfg.num_hidden_layers) + "), got " +
                          (calib ? std::to_string(calib->clip.size()) : std::string("none")));
  try {
    weight_layouts& lay = p.layouts;
    if (!cfg.is_text())
      lay.patch =
          choose_layout(ctx, cfg.num_patches(), patch_k, d, int8 ? int8_side_dtype() : compute);
    lay.qkv = choose_layout(ctx, t, d, 3 * d, compute);
    lay.out = choose_layout(ctx, t, d, d, compute);
    lay.fc1 = choose_layout(ctx, t, d, inter, compute);
    lay.fc2 = choose_layout(ctx, t, inter, d, compute);
    lay.pooler = choose_layout(ctx, 1, d, d, dnnl_dt::f32);
    lay.head = choose_layout(ctx, 1, head_k, cfg.num_labels, dnnl_dt::f32);
    p.blocks.resize(cfg.num_hidden_layers);
    // Every block's input steps, also of blocks whose weights are not loaded:
    // fc1 writes its output already quantized with fc2's input step.
    for (int k = 0; int8 && k < cfg.num_hidden_layers; ++k) {
      block_params& b = p.blocks[k];
      b.qkv_in = calib->scale(k, int8_site::qkv_in);
      b.out_in = calib->scale(k, int8_site::out_in);
      b.fc1_in = calib->scale(k, int8_site::fc1_in);
      b.fc2_in = calib->scale(k, int8_site::fc2_in);
    }

    for (int layer = first; layer <= last; ++layer) {
      auto fetched = fetch_layer(cfg, layer, source);
      if (!fetched) return fetched.error();
      host_weights& w = *fetched;
      auto has = [&](r role) { return w.count(role) > 0; };
      auto data = [&](r role) -> std::vector<float>& { return w.at(role).data; };
      block_params& b = p.blocks[(layer - 1) / 4];

      if (has(r::patch_weight) || has(r::word_table)) {
        embed_params e;
        e.pos = std::move(data(r::position_table));
        if (has(r::patch_weight)) {
          e.weight = linear_weight(ctx, data(r::patch_weight).data(), patch_k, d, lay.patch);
          e.bias = bias_memory(ctx, data(r::patch_bias));
          e.cls = std::move(data(r::cls_token));
          if (has(r::distillation_token)) e.dist = std::move(data(r::distillation_token));
        } else {
          e.word = std::move(data(r::word_table));
          e.token_type = std::move(data(r::token_type_table));
          e.norm_scale = vector_memory(ctx, data(r::embed_norm_scale));
          e.norm_shift = vector_memory(ctx, data(r::embed_norm_shift));
        }
        p.embed = std::move(e);
      }
      if (has(r::norm1_scale)) {
        b.ln1_scale = vector_memory(ctx, data(r::norm1_scale));
        b.ln1_shift = vector_memory(ctx, data(r::norm1_shift));
      }
      if (has(r::query_weight)) {
        // Q, K and V stacked along the output dimension: [3D, D] (out, in).
        std::vector<float> qkv_w, qkv_b;
        for (auto [wr, br] :
             {std::pair{r::query_weight, r::query_bias}, std::pair{r::key_weight, r::key_bias},
              std::pair{r::value_weight, r::value_bias}}) {
          qkv_w.insert(qkv_w.end(), data(wr).begin(), data(wr).end());
          qkv_b.insert(qkv_b.end(), data(br).begin(), data(br).end());
        }
        if (int8) {
          b.qkv_q = quantize_linear(ctx, qkv_w.data(), qkv_b.data(), d, 3 * d, b.qkv_in, lay.qkv);
        } else {
          b.qkv_w = linear_weight(ctx, qkv_w.data(), d, 3 * d, lay.qkv);
          b.qkv_b = bias_memory(ctx, qkv_b);
        }
      }
      if (has(r::attn_out_weight) && int8) {
        b.out_q = quantize_linear(ctx, data(r::attn_out_weight).data(),
                                  data(r::attn_out_bias).data(), d, d, b.out_in, lay.out);
      } else if (has(r::attn_out_weight)) {
        b.out_w = linear_weight(ctx, data(r::attn_out_weight).data(), d, d, lay.out);
        b.out_b = bias_memory(ctx, data(r::attn_out_bias));
      }
      if (has(r::norm2_scale)) {
        b.ln2_scale = vector_memory(ctx, data(r::norm2_scale));
        b.ln2_shift = vector_memory(ctx, data(r::norm2_shift));
      }
      if (has(r::fc1_weight) && int8) {
        b.fc1_q = quantize_linear(ctx, data(r::fc1_weight).data(), data(r::fc1_bias).data(), d,
                                  inter, b.fc1_in, lay.fc1);
      } else if (has(r::fc1_weight)) {
        b.fc1_w = linear_weight(ctx, data(r::fc1_weight).data(), d, inter, lay.fc1);
        b.fc1_b = bias_memory(ctx, data(r::fc1_bias));
      }
      if (has(r::fc2_weight) && int8) {
        b.fc2_q = quantize_linear(ctx, data(r::fc2_weight).data(), data(r::fc2_bias).data(), inter,
                                  d, b.fc2_in, lay.fc2);
      } else if (has(r::fc2_weight)) {
        b.fc2_w = linear_weight(ctx, data(r::fc2_weight).data(), inter, d, lay.fc2);
        b.fc2_b = bias_memory(ctx, data(r::fc2_bias));
      }
      if (has(r::final_norm_scale) || has(r::pooler_weight)) {
        head_params h;
        if (has(r::final_norm_scale)) {
          h.ln_scale = vector_memory(ctx, data(r::final_norm_scale));
          h.ln_shift = vector_memory(ctx, data(r::final_norm_shift));
        }
        if (has(r::pooler_weight)) {
          h.pooler_w = linear_weight(ctx, data(r::pooler_weight).data(), d, d, lay.pooler);
          h.pooler_b = bias_memory(ctx, data(r::pooler_bias));
        }
        h.classifier = has(r::classifier_weight);
        if (h.classifier) {
          if (has(r::distillation_weight))
            stack_halves(data(r::classifier_weight), data(r::distillation_weight),
                         data(r::classifier_bias), data(r::distillation_bias), d);
          h.weight = linear_weight(ctx, data(r::classifier_weight).data(), head_k, cfg.num_labels,
                                   lay.head);
          h.bias = bias_memory(ctx, data(r::classifier_bias));
        }
        p.head = std::move(h);
      }
    }
  } catch (const dnnl::error& e) {
    return dnnl_failure("loading weights", e);
  } catch (const std::bad_alloc&) {
    return make_error(errc::internal, "loading weights: out of memory");
  }
  return p;
}

} // namespace edgepipe::ops
