#include "ops/layer_descriptor.hpp"

#include "ops/cpu_support.hpp"

namespace edgepipe::ops {

namespace {

int64_t product(const std::vector<int64_t>& shape) {
  if (shape.empty()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const char* part_name(block_part part, bool post_ln) {
  switch (part) {
  case block_part::attention:
    return post_ln ? "attention (QKV + softmax)" : "attention (LN + QKV + softmax)";
  case block_part::attention_output:
    return post_ln ? "attention output (projection + residual + LN)"
                   : "attention output (projection + residual)";
  case block_part::mlp_in:
    return post_ln ? "MLP in (fc1 + GELU)" : "MLP in (LN + fc1 + GELU)";
  default:
    return post_ln ? "MLP out (fc2 + residual + LN)" : "MLP out (fc2 + residual)";
  }
}

} // namespace

int64_t layer_info::output_main_elements() const {
  return product(output_shape);
}
int64_t layer_info::output_skip_elements() const {
  return product(skip_shape);
}
int64_t layer_info::output_mask_elements() const {
  return product(mask_shape);
}

int64_t layer_info::weight_bytes(dtype compute) const {
  // int8 per output channel: the f32 output scale, and the s8s8 compensation
  // oneDNN 2.6 keeps inside the s8 weights' layout: 12 bytes with its brgemm
  // matmul on VNNI CPUs (measured on avx512_core_vnni), none on AVX2, whose
  // kernel computes it on the fly (measured; ops/int8_weights.cpp).
  const int64_t int8_bytes_per_channel = 4 + (int8_dot_products_exact() ? 12 : 0);
  if (compute == dtype::int8) // the patch embedding in int8's side dtype (cpu_support.hpp)
    return (matmul_parameters - embedding_parameters) * 1 +
           embedding_parameters * (int8_side_dtype() == dnnl_dt::bf16 ? 2 : 4) +
           matmul_channels * int8_bytes_per_channel + f32_parameters * 4;
  return matmul_parameters * bytes_per_element(compute) + f32_parameters * 4;
}

int64_t model_descriptor::input_elements() const {
  return product(input_shape_) + input_mask_elements_;
}

expected<void> model_descriptor::check_range(int first, int last) const {
  if (first >= 1 && first <= last && last <= num_layers()) return {};
  return make_error(errc::invalid_argument,
                    "layers " + std::to_string(first) + ".." + std::to_string(last) +
                        " are outside the model's 1.." + std::to_string(num_layers()));
}

int64_t model_descriptor::parameters(int first, int last) const {
  int64_t n = 0;
  for (int k = first; k <= last; ++k) n += layer(k).parameters();
  return n;
}

double model_descriptor::flops(int first, int last) const {
  double f = 0;
  for (int k = first; k <= last; ++k) f += layer(k).flops;
  return f;
}

int64_t model_descriptor::weight_bytes(int first, int last, dtype compute) const {
  int64_t n = 0;
  for (int k = first; k <= last; ++k) n += layer(k).weight_bytes(compute);
  return n;
}

// The sizes mirror ops/model_weights.hpp's tensors and ops/vit_params.cpp's
// storage: patch, Q/K/V, output, fc1 and fc2 weights at the compute dtype;
// biases, LayerNorms, tokens, embedding tables and the head (classifier,
// pooler) f32. The encoder block is the same in every family; the
// LayerNorms sit in other layers (pre-LN: 4k+1, 4k+3; BERT: 4k+2, 4k+4).
model_descriptor model_descriptor::of(const model_config& c) {
  model_descriptor m;
  const bool text = c.is_text(), post_ln = text;
  m.family_ = to_string(c.family);
  const int64_t T = c.tokens(), D = c.hidden_size, I = c.intermediate_size;
  const int64_t labels = c.num_labels;
  const int64_t patch_k = int64_t{c.num_channels} * c.patch_size * c.patch_size;
  const std::vector<int64_t> mask = text ? std::vector<int64_t>{T} : std::vector<int64_t>{};
  if (text) {
    m.input_shape_ = {T};
    m.input_mask_elements_ = T;
  } else {
    m.input_shape_ = {c.num_channels, c.image_size, c.image_size};
  }
  const int L = c.planner_layers();
  for (int k = 1; k <= L; ++k) {
    layer_info info;
    info.index = k;
    info.position = encoder_position(k);
    info.mask_shape = k < L ? mask : std::vector<int64_t>{};
    const int block = info.position.block;
    info.name = "block " + std::to_string(block + 1) + " " + part_name(info.position.part, post_ln);
    switch (info.position.part) {
    case block_part::attention:
      info.matmul_parameters = 3 * D * D;
      info.matmul_channels = 3 * D;
      info.f32_parameters = (post_ln ? 0 : 2 * D) + 3 * D;    // LayerNorm, Q/K/V biases
      info.flops = 2.0 * T * D * 3 * D + 2.0 * 2 * T * T * D; // QKV, QK^T, PV
      info.output_shape = {T, D};                             // attention context
      info.skip_shape = {T, D};                               // residual stream
      if (k == 1 && text) {
        info.name = "embeddings + " + info.name; // tables gathered: no matmul
        info.f32_parameters +=
            (int64_t{c.vocab_size} + c.max_position_embeddings + c.type_vocab_size) * D + 2 * D;
      } else if (k == 1) {
        info.name = "embeddings + " + info.name;
        info.matmul_parameters += patch_k * D;
        info.embedding_parameters = patch_k * D;
        // patch bias, CLS (and distillation) token, position embeddings
        info.f32_parameters += D + c.extra_tokens() * D + T * D;
        info.flops += 2.0 * c.num_patches() * patch_k * D;
      }
      break;
    case block_part::attention_output:
      info.matmul_parameters = D * D;
      info.matmul_channels = D;
      info.f32_parameters = D + (post_ln ? 2 * D : 0);
      info.flops = 2.0 * T * D * D;
      info.output_shape = {T, D};
      break;
    case block_part::mlp_in:
      info.matmul_parameters = D * I;
      info.matmul_channels = I;
      info.f32_parameters = (post_ln ? 0 : 2 * D) + I;
      info.flops = 2.0 * T * D * I;
      info.output_shape = {T, I}; // fc1 + GELU output
      info.skip_shape = {T, D};
      break;
    case block_part::mlp_out:
      info.matmul_parameters = I * D;
      info.matmul_channels = D;
      info.f32_parameters = D + (post_ln ? 2 * D : 0);
      info.flops = 2.0 * T * I * D;
      info.output_shape = {T, D};
      if (k == L && text) { // the head stays f32
        info.name += " + pooler" + std::string(c.classifier ? " + classifier" : "");
        info.f32_parameters += D * D + D + (c.classifier ? D * labels + labels : 0);
        info.flops += 2.0 * D * D + (c.classifier ? 2.0 * D * labels : 0);
        info.output_shape = {c.output_size()}; // logits, or the pooled output
      } else if (k == L) {
        const int heads = c.distilled ? 2 : 1; // distilled DeiT: cls + distillation heads
        info.name += heads == 2 ? " + final LN + two classifiers" : " + final LN + classifier";
        info.f32_parameters += 2 * D + heads * (D * labels + labels);
        info.flops += heads * 2.0 * D * labels;
        info.output_shape = {labels}; // logits
      }
      break;
    }
    m.layers_.push_back(std::move(info));
  }
  return m;
}

} // namespace edgepipe::ops
