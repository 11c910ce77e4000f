// libFuzzer target for codecs::decode and decode_s8: any byte string must
// give either an error or a tensor whose size matches its shape (and, when
// quantized, whose values are finite); an s8 frame that decodes re-encodes
// to the very same bytes. ASan catches any read out of bounds.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "codecs/codec.hpp"

namespace {

// decode_s8: an error with a message, or codes matching the shape with a
// usable step, which encode_s8 writes back byte for byte (the frame is canonical).
void check_s8(const uint8_t* data, size_t size) {
  auto frame = edgepipe::codecs::decode_s8(data, size);
  if (!frame) {
    if (frame.error().message.empty()) __builtin_trap();
    return;
  }
  size_t n = 1;
  for (int64_t d : frame->shape) n *= size_t(d);
  if (frame->codes.size() != n) __builtin_trap();
  if (!std::isfinite(frame->step) || !(frame->step > 0.0f)) __builtin_trap();
  auto again = edgepipe::codecs::encode_s8(frame->codes.data(), frame->shape, frame->step);
  if (!again || again->size() != size || std::memcmp(again->data(), data, size) != 0)
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_s8(data, size);
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
