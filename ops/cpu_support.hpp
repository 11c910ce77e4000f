// cpu_support: what this CPU's oneDNN can compute, asked once per process.
// Edge boards differ: the project's first machine had AVX-512 with BF16 and
// VNNI, the next only AVX2. The model asks here instead of assuming.
//
// - bf16: oneDNN 2.6 has bf16 matmul kernels only from AVX-512 on; on AVX2
//   a bf16 model cannot be built, and `dtype bf16` is refused with the reason.
// - int8 dot products: with VNNI (AVX-512 VNNI or AVX-VNNI) oneDNN multiplies
//   u8 x s8 and sums in 32 bits. Without it, pairs of products are summed in
//   16 bits first (vpmaddubsw) and saturate: full-range s8 weights give wrong
//   results (measured: a 1.08 error on a value of 2.94). Weights are then
//   quantized to 7 bits (|w| <= 63), for which a pair never overflows
//   (2 x 255 x 63 < 32767), at the cost of one bit of weight precision.
// - int8 compute keeps attention and the patch embedding out of int8, in bf16
//   where it exists and in f32 elsewhere.
#pragma once

#include "base/expected.hpp"
#include "ops/dnnl_util.hpp"
#include "ops/dtype.hpp"

namespace edgepipe::ops {

bool bf16_supported();
bool int8_dot_products_exact();
// The largest |code| of an int8 weight: 127 with VNNI, 63 without.
int int8_weight_max();
// The precision int8 compute uses for what it keeps out of int8.
dnnl_dt int8_side_dtype();
// An error naming the CPU when `dt` cannot be computed here.
expected<void> check_dtype_supported(dtype dt);
// oneDNN's name of the instruction set it uses here, e.g. "avx2", "avx512_core_bf16".
const char* cpu_isa_name();

} // namespace edgepipe::ops
