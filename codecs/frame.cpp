// Frame header parsing: every field is checked against the bytes actually
// present before it is used, so a hostile frame can only produce an error.
#include "codecs/frame.hpp"

#include <cmath>
#include <string>

#include "codecs/bitpack.hpp"

namespace edgepipe::codecs {
namespace {

error bad_field(const std::string& field, const std::string& detail) {
  return make_error(errc::invalid_input, "frame field '" + field + "': " + detail);
}

std::string n_bytes(size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

} // namespace

expected<uint64_t> checked_numel(const std::vector<int64_t>& shape) {
  // Product of the non-zero dimensions must stay in range even when another
  // dimension is zero: [2^40, 2^40, 0] is refused rather than read as empty.
  uint64_t product = 1;
  bool any_zero = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0)
      return bad_field("shape[" + std::to_string(i) + "]",
                       "negative dimension " + std::to_string(shape[i]));
    if (shape[i] == 0) {
      any_zero = true;
      continue;
    }
    uint64_t d = uint64_t(shape[i]);
    if (d > frame_max_elements || product > frame_max_elements / d)
      return bad_field("shape", "element count overflows (limit 2^48)");
    product *= d;
  }
  return any_zero ? uint64_t(0) : product;
}

expected<frame_header> parse_frame_header(const uint8_t* bytes, size_t size) {
  if (size < frame_fixed_header)
    return bad_field("header", "frame of " + n_bytes(size) + " is shorter than the " +
                                   n_bytes(frame_fixed_header) + " fixed header");
  if (std::memcmp(bytes, frame_magic, 4) != 0) return bad_field("magic", "not an EPQF frame");
  if (bytes[4] != frame_version)
    return bad_field("version", "unknown version " + std::to_string(bytes[4]) +
                                    " (this decoder reads " + std::to_string(frame_version) + ")");
  if (bytes[5] != element_float32 && bytes[5] != element_s8)
    return bad_field("element type", "unknown element type " + std::to_string(bytes[5]) +
                                         " (0 = float32, 1 = s8 with a fixed step)");
  frame_header h;
  h.element = bytes[5];
  const bool s8 = h.element == element_s8;
  int bits = bytes[6];
  if (bits > 16) return bad_field("bits", std::to_string(bits) + " is outside 0..16");
  h.params.bits = bits;
  uint8_t clip = bytes[7], gran = bytes[8];
  if (clip > uint8_t(clip_method::ds_aciq_laplace))
    return bad_field("clip method", "unknown method " + std::to_string(clip));
  if (gran > uint8_t(granularity::sample))
    return bad_field("granularity", "unknown granularity " + std::to_string(gran));
  if (bits == 0 && clip != 0)
    return bad_field("clip method", "must be 0 (none) in a raw float32 frame");
  if (bits == 0 && gran != 0)
    return bad_field("granularity", "must be 0 (tensor) in a raw float32 frame");
  // An s8 frame's step is fixed by the sender's calibration, not chosen by a
  // clipping method, and covers the whole tensor.
  if (s8 && bits != 8)
    return bad_field("bits", std::to_string(bits) + ", but an s8 frame (element type 1) has 8");
  if (s8 && clip != 0) return bad_field("clip method", "must be 0 (none) in an s8 frame");
  if (s8 && gran != 0) return bad_field("granularity", "must be 0 (tensor) in an s8 frame");
  h.params.clip = clip_method(clip);
  h.params.gran = granularity(gran);
  int rank = bytes[9];
  if (rank > frame_max_rank)
    return bad_field("rank", std::to_string(rank) + " exceeds " + std::to_string(frame_max_rank));
  if (load_u16(bytes + 10) != 0) return bad_field("reserved", "must be 0");

  size_t pos = frame_fixed_header;
  if (size - pos < size_t(8) * rank)
    return bad_field("shape", "truncated: rank " + std::to_string(rank) + " needs " +
                                  n_bytes(8 * size_t(rank)) + ", " + n_bytes(size - pos) + " left");
  h.shape.resize(size_t(rank));
  for (int i = 0; i < rank; ++i, pos += 8) h.shape[size_t(i)] = int64_t(load_u64(bytes + pos));
  auto numel = checked_numel(h.shape);
  if (!numel) return numel.error();
  h.numel = *numel;

  uint64_t groups = 0;
  if (bits > 0) {
    if (h.params.gran == granularity::sample && rank == 0)
      return bad_field("granularity", "per-sample ranges need rank >= 1");
    groups = h.params.gran == granularity::sample ? uint64_t(h.shape[0]) : 1; // <= 2^48
  }
  if (groups > (size - pos) / 8) {
    if (s8)
      return bad_field("step", "truncated: the step and offset need 8 bytes, " +
                                   n_bytes(size - pos) + " left");
    return bad_field("scales", "truncated: " + std::to_string(groups) +
                                   " scale/offset pairs need " + n_bytes(size_t(groups) * 8) +
                                   ", " + n_bytes(size - pos) + " left");
  }
  if (s8) {
    // Symmetric: element = code * step, finite for every code -128..127.
    const float step = load_f32(bytes + pos);
    if (!std::isfinite(step) || !(step > 0.0f) || !std::isfinite(128.0f * step))
      return bad_field("step", "must be finite and > 0 (with 128 * step finite)");
    if (load_u32(bytes + pos + 4) != 0)
      return bad_field("offset", "must be 0 (+0.0f) in an s8 frame (its codes are symmetric)");
    h.groups = {group_params{step, 0.0f}};
    pos += 8;
  } else {
    const float max_code = bits > 0 ? float((1u << bits) - 1u) : 0.0f;
    h.groups.resize(size_t(groups));
    for (size_t g = 0; g < groups; ++g, pos += 8) {
      group_params p{load_f32(bytes + pos), load_f32(bytes + pos + 4)};
      std::string idx = "[" + std::to_string(g) + "]";
      if (!std::isfinite(p.scale) || p.scale < 0.0f)
        return bad_field("scale" + idx, "must be finite and >= 0");
      if (!std::isfinite(p.offset)) return bad_field("offset" + idx, "must be finite");
      // The largest decoded value must be finite too (computed as the kernels do).
      float top = max_code * p.scale;
      if (!std::isfinite(top) || !std::isfinite(p.offset + top))
        return bad_field("scale" + idx, "offset + max code * scale overflows float32");
      h.groups[g] = p;
    }
  }

  h.payload_offset = pos;
  uint64_t payload = bits == 0 ? h.numel * 4 : packed_bytes(size_t(h.numel), bits);
  size_t left = size - pos;
  if (left < payload)
    return bad_field("payload",
                     "truncated: " + n_bytes(left) + ", expected " + n_bytes(size_t(payload)));
  if (left > payload)
    return bad_field("payload", std::to_string(left - payload) + " trailing bytes after " +
                                    n_bytes(size_t(payload)));
  h.payload_bytes = size_t(payload);
  return h;
}

} // namespace edgepipe::codecs
