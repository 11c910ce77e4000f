// codec: a float32 tensor <-> a self-describing wire frame, quantized to the
// link's bitwidth with the chosen clipping. The one entry point the actors and
// `edgepipe eval --bits` use; the pieces (packing, clipping, frame layout) live
// in their own headers beside this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::codecs {

// none: min/max. aciq: Banner's ACIQ, Laplace prior. ds_aciq: QuantPipe's
// directed search, refined (ds_aciq.hpp). mse: minimises the real
// quantization MSE (a reference). Added beside the fixed four: aciq_gauss,
// ACIQ with the Gaussian prior; ds_aciq_laplace, the paper's Laplace-only search.
enum class clip_method : uint8_t {
  none = 0,
  aciq = 1,
  ds_aciq = 2,
  mse = 3,
  aciq_gauss = 4,
  ds_aciq_laplace = 5
};
enum class granularity : uint8_t { tensor = 0, sample = 1 }; // sample = per first dimension

expected<clip_method>
parse_clip_method(const std::string& name); // none|aciq|ds-aciq|mse|aciq-gauss|ds-aciq-laplace
const char* to_string(clip_method m);
expected<granularity> parse_granularity(const std::string& name); // tensor|sample
const char* to_string(granularity g);

struct quant_params {
  int bits = 0; // 0 = raw float32 (lossless), 1..16 = quantized
  clip_method clip = clip_method::none;
  granularity gran = granularity::tensor;
};

// A decoded frame: the tensor and how it was sent.
struct decoded_frame {
  std::vector<int64_t> shape;
  std::vector<float> data;
  quant_params params; // an s8 frame: bits 8, clip none, granularity tensor
  bool s8 = false;     // sent as s8 codes with a fixed step (encode_s8): data = code * step
};

// Encodes src (row-major, shape's product elements). Errors: bits outside
// 0..16, NaN/Inf in src when quantizing (bits 0 passes them through), bad
// shape. Layout and methods: codecs/README.md.
expected<std::vector<uint8_t>> encode(const float* src, const std::vector<int64_t>& shape,
                                      const quant_params& params);
// The same, checking that src holds exactly shape's product of elements.
expected<std::vector<uint8_t>> encode(const std::vector<float>& src,
                                      const std::vector<int64_t>& shape,
                                      const quant_params& params);

// Decodes a frame; validates every field against size and never reads out of
// bounds. The error message names the bad field. An s8 frame decodes to
// code * step (what decode_s8 gives, as float32).
expected<decoded_frame> decode(const uint8_t* bytes, size_t size);

// Exact size in bytes of the frame encode() produces (header + scales + payload);
// 0 for a shape encode() would refuse (negative dimension, too many elements).
size_t frame_size(const std::vector<int64_t>& shape, const quant_params& params);

// -- s8 with a fixed step ------------------------------------------------------
// An int8 model's activation at a mid-block boundary, as the s8 codes its
// receiving matmul takes (element = code * step, the step calibrated for that
// site and known to both ends). No range is chosen and nothing is rounded: the
// sender's codes are the receiver's. Element type 1 of the frame (frame.hpp):
// bits 8, clip none, granularity tensor, one pair (step, offset 0), then
// numel bytes. Same size as an 8-bit per-tensor float32 frame.
struct s8_frame {
  std::vector<int64_t> shape;
  std::vector<int8_t> codes;
  float step = 0; // > 0
};

// Errors: step not finite or not > 0, bad shape (as encode).
expected<std::vector<uint8_t>> encode_s8(const int8_t* codes, const std::vector<int64_t>& shape,
                                         float step);
// Validates like decode; a float32 frame is refused at its 'element type'.
expected<s8_frame> decode_s8(const uint8_t* bytes, size_t size);
// Exact size of encode_s8's frame; 0 for a shape it would refuse.
size_t s8_frame_size(const std::vector<int64_t>& shape);

} // namespace edgepipe::codecs
