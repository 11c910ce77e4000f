// dtype: the compute precision of a model's matmuls (activations cross stage
// boundaries as f32 either way). Shared by the model, its descriptor and the
// profiler.
#pragma once

#include <cstdint>
#include <string>

#include "base/expected.hpp"

namespace edgepipe::ops {

enum class dtype { f32, bf16 };

expected<dtype> parse_dtype(const std::string& name); // "f32" | "bf16"
const char* to_string(dtype dt);
inline int64_t bytes_per_element(dtype dt) {
  return dt == dtype::bf16 ? 2 : 4;
}

} // namespace edgepipe::ops
