// libFuzzer target for codecs::decode: any byte string must give either an
// error or a tensor whose size matches its shape (and, when quantized, whose
// values are finite). ASan catches any read out of bounds.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "codecs/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto frame = edgepipe::codecs::decode(data, size);
  if (!frame) {
    if (frame.error().message.empty()) __builtin_trap(); // errors must say what is wrong
    return 0;
  }
  size_t n = 1;
  for (int64_t d : frame->shape) n *= size_t(d);
  if (frame->data.size() != n) __builtin_trap();
  if (frame->params.bits > 0) {
    for (float v : frame->data)
      if (!std::isfinite(v)) __builtin_trap();
    // A decoded quantized tensor must encode again with the same parameters.
    auto again = edgepipe::codecs::encode(frame->data.data(), frame->shape, frame->params);
    if (!again) __builtin_trap();
  }
  return 0;
}
