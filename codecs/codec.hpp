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
  quant_params params;
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
// bounds. The error message names the bad field.
expected<decoded_frame> decode(const uint8_t* bytes, size_t size);

// Exact size in bytes of the frame encode() produces (header + scales + payload);
// 0 for a shape encode() would refuse (negative dimension, too many elements).
size_t frame_size(const std::vector<int64_t>& shape, const quant_params& params);

} // namespace edgepipe::codecs
