#include "ops/dnnl_util.hpp"

#include <omp.h>

namespace edgepipe::ops {

void dnnl_context::use_threads() const {
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

error dnnl_failure(const std::string& what, const dnnl::error& e) {
  return make_error(errc::internal,
                    what + ": oneDNN error " + std::to_string(e.status) + ": " + e.what());
}

dnnl::primitive_attr scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory memory_view(const dnnl::memory& base, const dnnl::memory::desc& md,
                         size_t offset_bytes) {
  auto* p = static_cast<uint8_t*>(base.get_data_handle()) + offset_bytes;
  return dnnl::memory(md, base.get_engine(), p);
}

dnnl::matmul::primitive_desc make_matmul(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                         const dnnl::memory::desc& weights_md,
                                         const dnnl::memory::desc& bias,
                                         const dnnl::memory::desc& dst,
                                         const dnnl::primitive_attr& attr) {
  ctx.use_threads();
  auto desc = bias.is_zero() ? dnnl::matmul::desc(src, weights_md, dst)
                             : dnnl::matmul::desc(src, weights_md, bias, dst);
  return dnnl::matmul::primitive_desc(desc, attr, ctx.eng);
}

dnnl::matmul::primitive_desc matmul_on(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                       const dnnl::memory::desc& layout,
                                       const dnnl::memory::desc& bias,
                                       const dnnl::memory::desc& dst,
                                       const dnnl::primitive_attr& attr) {
  dnnl::memory::desc any(layout.dims(), layout.data_type(), dnnl::memory::format_tag::any);
  auto pd = make_matmul(ctx, src, any, bias, dst, attr);
  if (pd.weights_desc() == layout) return pd;
  return make_matmul(ctx, src, layout, bias, dst, attr);
}

dnnl::layer_normalization_forward::primitive_desc
layer_norm_pd(const dnnl_context& ctx, int64_t rows, int64_t cols, float eps) {
  using ln_fwd = dnnl::layer_normalization_forward;
  dnnl::memory::desc md({rows, cols}, dnnl_dt::f32, dnnl_tag::ab);
  auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  return ln_fwd::primitive_desc(ln_fwd::desc(dnnl::prop_kind::forward_inference, md, eps, flags),
                                scratchpad_attr(), ctx.eng);
}

dnnl::reorder::primitive_desc reorder_pd(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                         const dnnl::memory::desc& dst) {
  return dnnl::reorder::primitive_desc(ctx.eng, src, ctx.eng, dst, scratchpad_attr());
}

void reorder_now(const dnnl_context& ctx, const dnnl::memory& src, const dnnl::memory& dst) {
  ctx.use_threads();
  dnnl::reorder(src, dst).execute(ctx.strm, const_cast<dnnl::memory&>(src),
                                  const_cast<dnnl::memory&>(dst));
  ctx.strm.wait();
}

} // namespace edgepipe::ops
