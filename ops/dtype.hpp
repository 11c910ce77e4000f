// dtype: the compute precision of a model's matmuls (activations cross stage
// boundaries as f32 either way). Shared by the model, its descriptor and the
// profiler.
#pragma once

#include <cstdint>
#include <string>

#include "base/expected.hpp"

namespace edgepipe::ops {

// int8: the block matmuls in int8 (weights per output channel, activations
// per tensor with calibrated steps), the rest in f32/bf16 (vit_plan.hpp).
enum class dtype { f32, bf16, int8 };

expected<dtype> parse_dtype(const std::string& name); // "f32" | "bf16" | "int8"
const char* to_string(dtype dt);
// Bytes of one matmul weight at `dt` (int8: the block matmuls' s8 weights;
// layer_info::weight_bytes adds what int8 keeps beside them).
inline int64_t bytes_per_element(dtype dt) {
  return dt == dtype::int8 ? 1 : dt == dtype::bf16 ? 2 : 4;
}

} // namespace edgepipe::ops
