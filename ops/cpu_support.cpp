#include "ops/cpu_support.hpp"

namespace edgepipe::ops {

namespace {

// Whether oneDNN builds a small bf16 matmul here: the test that cannot
// disagree with what model loading will meet.
bool probe_bf16() {
  try {
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    const dnnl_dims a = {16, 16}, b = {16, 16};
    dnnl::memory::desc src(a, dnnl_dt::bf16, dnnl_tag::ab);
    dnnl::memory::desc wei(b, dnnl_dt::bf16, dnnl_tag::ab);
    dnnl::memory::desc dst(a, dnnl_dt::f32, dnnl_tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wei, dst), eng);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

} // namespace

bool bf16_supported() {
  static const bool yes = probe_bf16();
  return yes;
}

bool int8_dot_products_exact() {
  using isa = dnnl::cpu_isa;
  const isa here = dnnl::get_effective_cpu_isa();
  return here == isa::avx512_core_vnni || here == isa::avx512_core_bf16 ||
         here == isa::avx512_core_amx || here == isa::avx2_vnni;
}

int int8_weight_max() {
  return int8_dot_products_exact() ? 127 : 63;
}

dnnl_dt int8_side_dtype() {
  return bf16_supported() ? dnnl_dt::bf16 : dnnl_dt::f32;
}

const char* cpu_isa_name() {
  using isa = dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
  case isa::sse41:
    return "sse41";
  case isa::avx:
    return "avx";
  case isa::avx2:
    return "avx2";
  case isa::avx2_vnni:
    return "avx2_vnni";
  case isa::avx512_mic:
    return "avx512_mic";
  case isa::avx512_mic_4ops:
    return "avx512_mic_4ops";
  case isa::avx512_core:
    return "avx512_core";
  case isa::avx512_core_vnni:
    return "avx512_core_vnni";
  case isa::avx512_core_bf16:
    return "avx512_core_bf16";
  case isa::avx512_core_amx:
    return "avx512_core_amx";
  default:
    return "unknown";
  }
}

expected<void> check_dtype_supported(dtype dt) {
  if (dt == dtype::bf16 && !bf16_supported())
    return make_error(errc::unsupported,
                      std::string("dtype bf16: oneDNN has no bf16 kernels for this CPU (") +
                          cpu_isa_name() + "; bf16 needs AVX-512); use f32 or int8");
  return {};
}

} // namespace edgepipe::ops
