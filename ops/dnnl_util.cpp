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

void reorder_now(const dnnl_context& ctx, const dnnl::memory& src, const dnnl::memory& dst) {
  ctx.use_threads();
  dnnl::reorder(src, dst).execute(ctx.strm, const_cast<dnnl::memory&>(src),
                                  const_cast<dnnl::memory&>(dst));
  ctx.strm.wait();
}

} // namespace edgepipe::ops
