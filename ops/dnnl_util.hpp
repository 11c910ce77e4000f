// dnnl_util: the small oneDNN 2.6 helpers the model layers share. Everything
// here stays inside ops/; the rest of edgepipe sees only ops::tensor.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "base/expected.hpp"

namespace edgepipe::ops {

using dnnl_dt = dnnl::memory::data_type;
using dnnl_tag = dnnl::memory::format_tag;
using dnnl_dims = dnnl::memory::dims;
using dnnl_args = std::unordered_map<int, dnnl::memory>;

// The engine, the stream and the OpenMP thread count the primitives are made for.
struct dnnl_context {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  mutable dnnl::stream strm{eng}; // executing does not change the context
  int threads = 1;

  // oneDNN keys its primitives on the OpenMP thread count, so every creation
  // and every execution sets it first (the calling thread may have changed).
  void use_threads() const;
};

// A dnnl::error turned into an edgepipe error, with what was being done.
error dnnl_failure(const std::string& what, const dnnl::error& e);

// Every primitive uses a user-managed scratchpad (one buffer per batch plan).
dnnl::primitive_attr scratchpad_attr();

// A memory object over `base`'s buffer, `offset_bytes` in, described by `md`.
dnnl::memory memory_view(const dnnl::memory& base, const dnnl::memory::desc& md,
                         size_t offset_bytes);

// A matmul whose weights use `weights_md` (a layout chosen once at load).
// With weights_md of format any, oneDNN chooses; the caller stores its choice.
dnnl::matmul::primitive_desc make_matmul(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                         const dnnl::memory::desc& weights_md,
                                         const dnnl::memory::desc& bias,
                                         const dnnl::memory::desc& dst,
                                         const dnnl::primitive_attr& attr);

// A matmul on weights reordered at load: oneDNN chooses again for this shape
// (format any); when its choice differs from the stored layout `layout`, the
// stored one is imposed, so weights are never reordered twice.
dnnl::matmul::primitive_desc matmul_on(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                       const dnnl::memory::desc& layout,
                                       const dnnl::memory::desc& bias,
                                       const dnnl::memory::desc& dst,
                                       const dnnl::primitive_attr& attr);

// LayerNorm over the last axis of f32 [rows, cols], with scale and shift.
dnnl::layer_normalization_forward::primitive_desc
layer_norm_pd(const dnnl_context& ctx, int64_t rows, int64_t cols, float eps);

dnnl::reorder::primitive_desc reorder_pd(const dnnl_context& ctx, const dnnl::memory::desc& src,
                                         const dnnl::memory::desc& dst);

// Copies (and converts the data type of) src into dst with a one-off reorder.
void reorder_now(const dnnl_context& ctx, const dnnl::memory& src, const dnnl::memory& dst);

} // namespace edgepipe::ops
