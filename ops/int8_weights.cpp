#include "ops/int8_weights.hpp"

#include "ops/cpu_support.hpp"

#include <algorithm>
#include <cmath>

namespace edgepipe::ops {

int8_linear quantize_linear(const dnnl_context& ctx, const float* weight, const float* bias,
                            int64_t k, int64_t n, float src_scale,
                            const dnnl::memory::desc& layout) {
  int8_linear out;
  out.output_scales.resize(n);
  // 127, or 63 on CPUs whose int8 products would saturate (cpu_support.hpp).
  const float wmax = static_cast<float>(int8_weight_max());
  // Row j of the Hugging Face weight is output channel j: [n, k] row-major is
  // the matmul's [k, n] in tag ba, so the s8 copy keeps that order.
  dnnl::memory plain({{k, n}, dnnl_dt::s8, dnnl_tag::ba}, ctx.eng);
  auto* q = static_cast<int8_t*>(plain.get_data_handle());
  dnnl::memory b({{1, n}, dnnl_dt::f32, dnnl_tag::ab}, ctx.eng);
  auto* bq = static_cast<float*>(b.get_data_handle());
  for (int64_t j = 0; j < n; ++j) {
    const float* row = weight + j * k;
    float m = 0;
    for (int64_t i = 0; i < k; ++i) m = std::max(m, std::fabs(row[i]));
    const float s_w = m > 0 ? m / wmax : 1.0f; // an all-zero channel: any step
    for (int64_t i = 0; i < k; ++i) {
      float v = std::nearbyint(row[i] / s_w);
      q[j * k + i] = static_cast<int8_t>(std::clamp(v, -wmax, wmax));
    }
    out.output_scales[j] = src_scale * s_w;
    bq[j] = bias[j] / out.output_scales[j];
  }
  // s8 plain -> oneDNN's blocked layout; for s8 sources that layout carries
  // the compensation oneDNN needs on CPUs without native s8*s8 dot products,
  // and the reorder fills it.
  out.weight = dnnl::memory(layout, ctx.eng);
  reorder_now(ctx, plain, out.weight);
  out.bias = b;
  return out;
}

} // namespace edgepipe::ops
