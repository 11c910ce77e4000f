#include "ops/layer_descriptor.hpp"

namespace edgepipe::ops {

namespace {

int64_t product(const std::vector<int64_t>& shape) {
  if (shape.empty()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const char* part_name(block_part part) {
  switch (part) {
  case block_part::attention:
    return "attention (LN + QKV + softmax)";
  case block_part::attention_output:
    return "attention output (projection + residual)";
  case block_part::mlp_in:
    return "MLP in (LN + fc1 + GELU)";
  default:
    return "MLP out (fc2 + residual)";
  }
}

} // namespace

int64_t layer_info::output_main_elements() const {
  return product(output_shape);
}
int64_t layer_info::output_skip_elements() const {
  return product(skip_shape);
}

int64_t layer_info::weight_bytes(dtype compute) const {
  // int8 per output channel: the f32 output scale, and the s8s8 compensation
  // oneDNN 2.6 keeps inside the s8 weights' layout (12 bytes, measured with
  // its brgemm matmul on avx512_core_vnni; ops/int8_weights.cpp).
  constexpr int64_t int8_bytes_per_channel = 4 + 12;
  if (compute == dtype::int8)
    return (matmul_parameters - embedding_parameters) * 1 + embedding_parameters * 2 +
           matmul_channels * int8_bytes_per_channel + f32_parameters * 4;
  return matmul_parameters * bytes_per_element(compute) + f32_parameters * 4;
}

int64_t model_descriptor::input_elements() const {
  return product(input_shape_);
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

// The sizes mirror ops/vit_weights.cpp's tensors and ops/vit_params.cpp's
// storage: patch, Q/K/V, output, fc1 and fc2 weights at the compute dtype;
// biases, LayerNorms, CLS, position embeddings and the classifier f32.
model_descriptor model_descriptor::vit(const vit_config& c) {
  model_descriptor m;
  m.family_ = "vit";
  m.input_shape_ = {c.num_channels, c.image_size, c.image_size};
  const int64_t T = c.tokens(), D = c.hidden_size, I = c.intermediate_size;
  const int64_t patch_k = int64_t{c.num_channels} * c.patch_size * c.patch_size;
  const int L = c.planner_layers();
  for (int k = 1; k <= L; ++k) {
    layer_info info;
    info.index = k;
    info.position = encoder_position(k);
    const int block = info.position.block;
    info.name = "block " + std::to_string(block + 1) + " " + part_name(info.position.part);
    switch (info.position.part) {
    case block_part::attention:
      info.matmul_parameters = 3 * D * D;
      info.matmul_channels = 3 * D;
      info.f32_parameters = 2 * D + 3 * D;                    // LayerNorm, Q/K/V biases
      info.flops = 2.0 * T * D * 3 * D + 2.0 * 2 * T * T * D; // QKV, QK^T, PV
      info.output_shape = {T, D};                             // attention context
      info.skip_shape = {T, D};                               // residual stream
      if (k == 1) {
        info.name = "embeddings + " + info.name;
        info.matmul_parameters += patch_k * D;
        info.embedding_parameters = patch_k * D;
        info.f32_parameters += D + D + T * D; // patch bias, CLS, position embeddings
        info.flops += 2.0 * c.num_patches() * patch_k * D;
      }
      break;
    case block_part::attention_output:
      info.matmul_parameters = D * D;
      info.matmul_channels = D;
      info.f32_parameters = D;
      info.flops = 2.0 * T * D * D;
      info.output_shape = {T, D};
      break;
    case block_part::mlp_in:
      info.matmul_parameters = D * I;
      info.matmul_channels = I;
      info.f32_parameters = 2 * D + I;
      info.flops = 2.0 * T * D * I;
      info.output_shape = {T, I}; // fc1 + GELU output
      info.skip_shape = {T, D};
      break;
    case block_part::mlp_out:
      info.matmul_parameters = I * D;
      info.matmul_channels = D;
      info.f32_parameters = D;
      info.flops = 2.0 * T * I * D;
      info.output_shape = {T, D};
      if (k == L) {
        info.name += " + final LN + classifier";
        info.f32_parameters += 2 * D + D * c.num_labels + c.num_labels; // the head stays f32
        info.flops += 2.0 * D * c.num_labels;
        info.output_shape = {c.num_labels}; // logits
      }
      break;
    }
    m.layers_.push_back(std::move(info));
  }
  return m;
}

} // namespace edgepipe::ops
