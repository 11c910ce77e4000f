// int8_weights: a linear layer's weights quantized per output channel for an
// int8 matmul, with the bias and the output scales that go with them.
//
// oneDNN 2.6 int8 matmul computes dst = output_scale[n] * (sum_k src_q * w_q
// + bias[n]), then post-ops. With src_q = x / s_x and w_q[k][n] = W[k][n] /
// s_w[n] (s_w[n] = max_k |W[k][n]| / int8_weight_max(): 127, or 63 where
// oneDNN's int8 products would saturate, ops/cpu_support.hpp), output_scale[n] = s_x * s_w[n]
// gives the real result when the bias is stored divided by s_x * s_w[n].
#pragma once

#include <vector>

#include "ops/dnnl_util.hpp"

namespace edgepipe::ops {

struct int8_linear {
  dnnl::memory weight;              // s8 in the layout the matmul chose
  dnnl::memory bias;                // f32 [1, n], divided by s_x * s_w[n]
  std::vector<float> output_scales; // s_x * s_w[n]
};

// A Hugging Face weight [n, k] (out, in) and bias [n] for an input quantized
// with step `src_scale`, into `layout` (an s8 [k, n] weights descriptor).
int8_linear quantize_linear(const dnnl_context& ctx, const float* weight, const float* bias,
                            int64_t k, int64_t n, float src_scale,
                            const dnnl::memory::desc& layout);

} // namespace edgepipe::ops
