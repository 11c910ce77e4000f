// libFuzzer target for ops::parse_safetensors (the 8-byte length, the JSON
// header and the tensor bytes it points at): any byte string must give either
// an error naming what is wrong, or tensors whose element count matches their
// shape. ASan catches a read outside the input or an oversized allocation.
#include <cstddef>
#include <cstdint>

#include "ops/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto weights = edgepipe::ops::parse_safetensors(data, size, "fuzz.safetensors");
  if (!weights) {
    if (weights.error().message.rfind("fuzz.safetensors: ", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const auto& [name, t] : *weights) {
    if (t.data.size() != static_cast<size_t>(t.numel())) __builtin_trap();
    // The header cannot make more float32 values than 2 per byte of input (F16/BF16).
    if (t.data.size() > 2 * size) __builtin_trap();
  }
  return 0;
}
