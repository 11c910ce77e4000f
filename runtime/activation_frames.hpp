// activation_frames: the one function pair that turns an activation (what
// flows between two planner layers) into the bytes that cross a link, and
// back. main and skip are quantized with the link's parameters; the mask is
// always sent raw (a padding mask quantized to 2 bits is no mask). Each part
// is a self-describing codecs frame, so the receiver decodes without asking
// anyone what the sender's bitwidth was.
#pragma once

#include <cstdint>
#include <vector>

#include "base/expected.hpp"
#include "codecs/codec.hpp"
#include "ops/activation.hpp"

namespace edgepipe::runtime {

struct activation_frames {
  std::vector<uint8_t> main; // codecs frame of activation.main
  std::vector<uint8_t> skip; // empty when the activation has no skip tensor
  std::vector<uint8_t> mask; // empty when it has no mask; always bits 0

  size_t bytes() const { return main.size() + skip.size() + mask.size(); }
};

expected<activation_frames> encode_activation(const ops::activation& src,
                                              const codecs::quant_params& params);

// Errors name the part ("skip frame: ...") and the codecs field at fault.
expected<ops::activation> decode_activation(const activation_frames& src);

// The exact bytes encode_activation would produce for tensors of these
// shapes (empty shape = absent part), without encoding anything.
size_t encoded_bytes(const std::vector<int64_t>& main_shape, const std::vector<int64_t>& skip_shape,
                     const std::vector<int64_t>& mask_shape, const codecs::quant_params& params);

} // namespace edgepipe::runtime
