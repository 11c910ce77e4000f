#include "ops/vit_params.hpp"

#include <cstring>
#include <map>

#include "ops/layer_descriptor.hpp"

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

using host_weights = std::map<std::string, tensor>;

expected<host_weights> fetch_layer(const vit_config& cfg, int layer, const weight_source& source) {
  host_weights w;
  for (const auto& spec : layer_weights(cfg, layer)) {
    auto t = source(spec);
    if (!t) return t.error();
    if (t->shape != spec.shape)
      return make_error(errc::invalid_input, "tensor " + spec.name + " has shape " +
                                                 shape_string(t->shape) + ", expected " +
                                                 shape_string(spec.shape));
    w[spec.name] = std::move(*t);
  }
  return w;
}

std::vector<float>& data(host_weights& w, const std::string& name) {
  return w.at(name).data;
}

} // namespace

expected<vit_params> build_params(const dnnl_context& ctx, const vit_config& cfg, dnnl_dt compute,
                                  int first, int last, const weight_source& source,
                                  const int8_calibration* calib) {
  const int64_t t = cfg.tokens(), d = cfg.hidden_size, inter = cfg.intermediate_size;
  const int64_t patch_k = int64_t{cfg.num_channels} * cfg.patch_size * cfg.patch_size;
  vit_params p;
  p.compute = compute;
  const bool int8 = compute == dnnl_dt::s8;
  if (int8 && (!calib || calib->clip.size() != size_t(cfg.num_hidden_layers)))
    return make_error(errc::invalid_argument,
                      "int8 needs a calibration with one entry per block (" +
                          std::to_string(cfg.num_hidden_layers) + "), got " +
                          (calib ? std::to_string(calib->clip.size()) : std::string("none")));
  try {
    weight_layouts& lay = p.layouts;
    lay.patch = choose_layout(ctx, cfg.num_patches(), patch_k, d, int8 ? dnnl_dt::bf16 : compute);
    lay.qkv = choose_layout(ctx, t, d, 3 * d, compute);
    lay.out = choose_layout(ctx, t, d, d, compute);
    lay.fc1 = choose_layout(ctx, t, d, inter, compute);
    lay.fc2 = choose_layout(ctx, t, inter, d, compute);
    lay.head = choose_layout(ctx, 1, d, cfg.num_labels, dnnl_dt::f32);
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
      const layer_position at = encoder_position(layer);
      block_params& b = p.blocks[at.block];
      const std::string pre = "vit.encoder.layer." + std::to_string(at.block) + ".";
      switch (at.part) {
      case block_part::attention: {
        if (layer == 1) {
          embed_params e;
          e.weight = linear_weight(
              ctx, data(w, "vit.embeddings.patch_embeddings.projection.weight").data(), patch_k, d,
              lay.patch);
          e.bias = bias_memory(ctx, data(w, "vit.embeddings.patch_embeddings.projection.bias"));
          e.cls = std::move(data(w, "vit.embeddings.cls_token"));
          e.pos = std::move(data(w, "vit.embeddings.position_embeddings"));
          p.embed = std::move(e);
        }
        b.ln1_scale = vector_memory(ctx, data(w, pre + "layernorm_before.weight"));
        b.ln1_shift = vector_memory(ctx, data(w, pre + "layernorm_before.bias"));
        // Q, K and V stacked along the output dimension: [3D, D] (out, in).
        std::vector<float> qkv_w, qkv_b;
        for (const char* m : {"query", "key", "value"}) {
          const std::string base = pre + "attention.attention." + m;
          auto& wm = data(w, base + ".weight");
          auto& bm = data(w, base + ".bias");
          qkv_w.insert(qkv_w.end(), wm.begin(), wm.end());
          qkv_b.insert(qkv_b.end(), bm.begin(), bm.end());
        }
        if (int8) {
          b.qkv_q = quantize_linear(ctx, qkv_w.data(), qkv_b.data(), d, 3 * d, b.qkv_in, lay.qkv);
        } else {
          b.qkv_w = linear_weight(ctx, qkv_w.data(), d, 3 * d, lay.qkv);
          b.qkv_b = bias_memory(ctx, qkv_b);
        }
        break;
      }
      case block_part::attention_output:
        if (int8) {
          b.out_q = quantize_linear(ctx, data(w, pre + "attention.output.dense.weight").data(),
                                    data(w, pre + "attention.output.dense.bias").data(), d, d,
                                    b.out_in, lay.out);
          break;
        }
        b.out_w = linear_weight(ctx, data(w, pre + "attention.output.dense.weight").data(), d, d,
                                lay.out);
        b.out_b = bias_memory(ctx, data(w, pre + "attention.output.dense.bias"));
        break;
      case block_part::mlp_in:
        b.ln2_scale = vector_memory(ctx, data(w, pre + "layernorm_after.weight"));
        b.ln2_shift = vector_memory(ctx, data(w, pre + "layernorm_after.bias"));
        if (int8) {
          b.fc1_q = quantize_linear(ctx, data(w, pre + "intermediate.dense.weight").data(),
                                    data(w, pre + "intermediate.dense.bias").data(), d, inter,
                                    b.fc1_in, lay.fc1);
          break;
        }
        b.fc1_w = linear_weight(ctx, data(w, pre + "intermediate.dense.weight").data(), d, inter,
                                lay.fc1);
        b.fc1_b = bias_memory(ctx, data(w, pre + "intermediate.dense.bias"));
        break;
      case block_part::mlp_out:
        if (int8) {
          b.fc2_q = quantize_linear(ctx, data(w, pre + "output.dense.weight").data(),
                                    data(w, pre + "output.dense.bias").data(), inter, d, b.fc2_in,
                                    lay.fc2);
        } else {
          b.fc2_w =
              linear_weight(ctx, data(w, pre + "output.dense.weight").data(), inter, d, lay.fc2);
          b.fc2_b = bias_memory(ctx, data(w, pre + "output.dense.bias"));
        }
        if (layer == cfg.planner_layers()) {
          head_params h;
          h.ln_scale = vector_memory(ctx, data(w, "vit.layernorm.weight"));
          h.ln_shift = vector_memory(ctx, data(w, "vit.layernorm.bias"));
          h.weight =
              linear_weight(ctx, data(w, "classifier.weight").data(), d, cfg.num_labels, lay.head);
          h.bias = bias_memory(ctx, data(w, "classifier.bias"));
          p.head = std::move(h);
        }
      }
    }
  } catch (const dnnl::error& e) {
    return dnnl_failure("loading weights", e);
  }
  return p;
}

} // namespace edgepipe::ops
