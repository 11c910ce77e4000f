// activation_frames: the one function pair that turns an activation (what
// flows between two planner layers) into the bytes that cross a link, and
// back. main and skip are quantized with the link's parameters; the mask is
// always sent raw (a padding mask quantized to 2 bits is no mask). Each part
// is a self-describing codecs frame, so the receiver decodes without asking
// anyone what the sender's bitwidth was.
//
// An int8 model's main tensor after layer 4k+1 or 4k+3 may come in s8 form
// (activation::main_s8, ops::main_form::s8). On a link at 8 bits it crosses
// as those codes with their calibrated step (codecs::encode_s8): nothing is
// rounded, and the receiving int8 stage feeds them to its matmul. At other
// bits the codes are dequantized (code * step, as the model's own f32 output
// of 4k+3 is) and quantized by the codec as usual. Skip and mask never go s8.
#pragma once

#include <cstdint>
#include <vector>

#include "base/expected.hpp"
#include "codecs/codec.hpp"
#include "ops/activation.hpp"

namespace edgepipe::runtime {

// The link bitwidth at which an s8 main crosses as it is.
constexpr int s8_main_bits = 8;
inline bool main_crosses_as_s8(int bits) {
  return bits == s8_main_bits;
}

struct activation_frames {
  std::vector<uint8_t> main; // codecs frame of activation.main
  std::vector<uint8_t> skip; // empty when the activation has no skip tensor
  std::vector<uint8_t> mask; // empty when it has no mask; always bits 0

  size_t bytes() const { return main.size() + skip.size() + mask.size(); }
};

expected<activation_frames> encode_activation(const ops::activation& src,
                                              const codecs::quant_params& params);

// Errors name the part ("skip frame: ...") and the codecs field at fault. An
// s8 main frame decodes to main_s8 (codes and step, no float32 pass).
expected<ops::activation> decode_activation(const activation_frames& src);

// The exact bytes encode_activation would produce for tensors of these
// shapes (empty shape = absent part), without encoding anything. main_s8:
// the sender's main comes in s8 form (an int8 stage ending after 4k+1 or
// 4k+3), so at 8 bits it is an s8 frame (one step, whatever the granularity).
size_t encoded_bytes(const std::vector<int64_t>& main_shape, const std::vector<int64_t>& skip_shape,
                     const std::vector<int64_t>& mask_shape, const codecs::quant_params& params,
                     bool main_s8 = false);

} // namespace edgepipe::runtime
