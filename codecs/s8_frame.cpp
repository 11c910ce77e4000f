// s8 frames: an int8 model's s8 activation sent as it is, with the fixed step
// both ends calibrated (codec.hpp). Encoding copies codes and writes the
// header; decoding validates the header (frame.cpp) and copies codes back.
#include <cmath>
#include <cstring>

#include "codecs/codec.hpp"
#include "codecs/frame.hpp"

namespace edgepipe::codecs {

size_t s8_frame_size(const std::vector<int64_t>& shape) {
  // The layout of an 8-bit per-tensor frame: one pair, one byte per element.
  return frame_size(shape, quant_params{8, clip_method::none, granularity::tensor});
}

expected<std::vector<uint8_t>> encode_s8(const int8_t* codes, const std::vector<int64_t>& shape,
                                         float step) {
  if (shape.size() > size_t(frame_max_rank))
    return make_error(errc::invalid_argument, "rank " + std::to_string(shape.size()) + " exceeds " +
                                                  std::to_string(frame_max_rank));
  if (!std::isfinite(step) || !(step > 0.0f) || !std::isfinite(128.0f * step))
    return make_error(errc::invalid_argument,
                      "s8 step " + std::to_string(step) + ": must be finite and > 0");
  auto numel = checked_numel(shape);
  if (!numel) return make_error(errc::invalid_argument, numel.error().message);
  const size_t n = size_t(*numel);
  if (n > 0 && codes == nullptr) return make_error(errc::invalid_argument, "null source tensor");
  // Header, shape and the (step, 0) pair, then the codes appended in one pass.
  std::vector<uint8_t> out(frame_fixed_header + 8 * shape.size() + 8);
  out.reserve(s8_frame_size(shape));
  uint8_t* h = out.data();
  std::memcpy(h, frame_magic, 4);
  h[4] = frame_version;
  h[5] = element_s8;
  h[6] = 8;
  h[7] = uint8_t(clip_method::none);
  h[8] = uint8_t(granularity::tensor);
  h[9] = uint8_t(shape.size());
  store_u16(h + 10, 0);
  size_t pos = frame_fixed_header;
  for (int64_t d : shape) store_u64(h + pos, uint64_t(d)), pos += 8;
  store_f32(h + pos, step);
  store_f32(h + pos + 4, 0.0f);
  const auto* bytes = reinterpret_cast<const uint8_t*>(codes); // two's complement, one byte each
  if (n > 0) out.insert(out.end(), bytes, bytes + n);
  return out;
}

expected<s8_frame> decode_s8(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr && size > 0) return make_error(errc::invalid_argument, "null frame");
  auto header = parse_frame_header(bytes, size);
  if (!header) return header.error();
  const frame_header& h = *header;
  if (h.element != element_s8)
    return make_error(errc::invalid_input,
                      "frame field 'element type': " + std::to_string(h.element) +
                          " (float32), expected 1 (s8 with a fixed step)");
  s8_frame out;
  out.shape = h.shape;
  out.step = h.groups[0].scale;
  const auto* codes = reinterpret_cast<const int8_t*>(bytes + h.payload_offset);
  out.codes.assign(codes, codes + h.numel); // one pass: no zero fill first
  return out;
}

} // namespace edgepipe::codecs
