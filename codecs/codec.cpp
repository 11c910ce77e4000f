// codec: encode = choose ranges per group, quantize, pack into a frame;
// decode = validate the frame (frame.cpp), unpack, dequantize. Work proceeds in
// chunks of 2048 elements so the codes stay in L1 between quantize and pack.
#include "codecs/codec.hpp"

#include <cmath>
#include <cstring>

#include "codecs/bitpack.hpp"
#include "codecs/clipping.hpp"
#include "codecs/frame.hpp"
#include "codecs/kernels.hpp"

namespace edgepipe::codecs {
namespace {

// A multiple of 8, so every chunk starts on a byte boundary of the payload.
constexpr size_t chunk = 2048;

struct group_layout {
  size_t count = 0; // groups
  size_t size = 0;  // elements per group
};

group_layout layout_of(const std::vector<int64_t>& shape, uint64_t numel, const quant_params& p) {
  if (p.bits == 0) return {0, size_t(numel)};
  if (p.gran == granularity::tensor) return {1, size_t(numel)};
  size_t count = size_t(shape[0]);
  return {count, count == 0 ? 0 : size_t(numel) / count};
}

expected<void> check_params(const std::vector<int64_t>& shape, const quant_params& p) {
  if (p.bits < 0 || p.bits > 16)
    return make_error(errc::invalid_argument,
                      "bits " + std::to_string(p.bits) + " is outside 0..16");
  if (uint8_t(p.clip) > uint8_t(clip_method::ds_aciq_laplace))
    return make_error(errc::invalid_argument, "unknown clip method");
  if (uint8_t(p.gran) > uint8_t(granularity::sample))
    return make_error(errc::invalid_argument, "unknown granularity");
  if (shape.size() > size_t(frame_max_rank))
    return make_error(errc::invalid_argument, "rank " + std::to_string(shape.size()) + " exceeds " +
                                                  std::to_string(frame_max_rank));
  if (p.bits > 0 && p.gran == granularity::sample && shape.empty())
    return make_error(errc::invalid_argument, "per-sample ranges need rank >= 1");
  return {};
}

// Runs f(group, first, count) over the chunk [begin, end), split where groups change.
template <class F> void for_group_runs(size_t begin, size_t end, size_t group_size, F f) {
  while (begin < end) {
    size_t g = begin / group_size;
    size_t stop = std::min(end, (g + 1) * group_size);
    f(g, begin, stop - begin);
    begin = stop;
  }
}

} // namespace

expected<clip_method> parse_clip_method(const std::string& name) {
  if (name == "none") return clip_method::none;
  if (name == "aciq") return clip_method::aciq;
  if (name == "ds-aciq") return clip_method::ds_aciq;
  if (name == "mse") return clip_method::mse;
  if (name == "aciq-gauss") return clip_method::aciq_gauss;
  if (name == "ds-aciq-laplace") return clip_method::ds_aciq_laplace;
  return make_error(errc::invalid_argument,
                    "unknown clip method '" + name +
                        "' (none|aciq|ds-aciq|mse|aciq-gauss|ds-aciq-laplace)");
}

const char* to_string(clip_method m) {
  switch (m) {
  case clip_method::none:
    return "none";
  case clip_method::aciq:
    return "aciq";
  case clip_method::ds_aciq:
    return "ds-aciq";
  case clip_method::mse:
    return "mse";
  case clip_method::aciq_gauss:
    return "aciq-gauss";
  case clip_method::ds_aciq_laplace:
    return "ds-aciq-laplace";
  }
  return "?";
}

expected<granularity> parse_granularity(const std::string& name) {
  if (name == "tensor") return granularity::tensor;
  if (name == "sample") return granularity::sample;
  return make_error(errc::invalid_argument, "unknown granularity '" + name + "' (tensor|sample)");
}

const char* to_string(granularity g) {
  return g == granularity::sample ? "sample" : "tensor";
}

size_t frame_size(const std::vector<int64_t>& shape, const quant_params& params) {
  auto numel = checked_numel(shape);
  if (!numel) return 0;
  group_layout groups = layout_of(shape, *numel, params);
  size_t payload =
      params.bits == 0 ? size_t(*numel) * 4 : packed_bytes(size_t(*numel), params.bits);
  return frame_fixed_header + 8 * shape.size() + 8 * groups.count + payload;
}

expected<std::vector<uint8_t>> encode(const float* src, const std::vector<int64_t>& shape,
                                      const quant_params& params) {
  if (auto ok = check_params(shape, params); !ok) return ok.error();
  auto numel = checked_numel(shape);
  if (!numel) return make_error(errc::invalid_argument, numel.error().message);
  const size_t n = size_t(*numel);
  if (n > 0 && src == nullptr) return make_error(errc::invalid_argument, "null source tensor");
  quant_params p = params;
  if (p.bits == 0) p.clip = clip_method::none, p.gran = granularity::tensor; // canonical raw frame
  const group_layout groups = layout_of(shape, n, p);

  std::vector<uint8_t> out(frame_size(shape, p));
  uint8_t* h = out.data();
  std::memcpy(h, frame_magic, 4);
  h[4] = frame_version;
  h[5] = element_float32;
  h[6] = uint8_t(p.bits);
  h[7] = uint8_t(p.clip);
  h[8] = uint8_t(p.gran);
  h[9] = uint8_t(shape.size());
  store_u16(h + 10, 0);
  size_t pos = frame_fixed_header;
  for (int64_t d : shape) store_u64(h + pos, uint64_t(d)), pos += 8;

  if (p.bits == 0) {
    for (size_t i = 0; i < n; ++i) store_f32(h + pos + 4 * i, src[i]);
    return out;
  }

  const uint32_t max_code = (1u << p.bits) - 1u;
  std::vector<group_params> gp(groups.count);
  for (size_t g = 0; g < groups.count; ++g) {
    auto range = choose_clip_range(src + g * groups.size, groups.size, p.bits, p.clip);
    if (!range) return range.error();
    float scale = quant_step(range->lo, range->hi, max_code);
    float top = range->lo + float(max_code) * scale;
    if (!std::isfinite(scale) || !std::isfinite(top))
      return make_error(errc::invalid_input, "tensor values span more than float32 can scale");
    gp[g] = {scale, range->lo};
    store_f32(h + pos, scale);
    store_f32(h + pos + 4, range->lo);
    pos += 8;
  }

  const kernel_table& k = kernels();
  uint16_t codes[chunk];
  for (size_t begin = 0; begin < n; begin += chunk) {
    size_t end = std::min(n, begin + chunk);
    for_group_runs(begin, end, groups.size, [&](size_t g, size_t first, size_t count) {
      const group_params& q = gp[g];
      float hi = q.offset + float(max_code) * q.scale;
      float inv = q.scale > 0.0f ? 1.0f / q.scale : 0.0f;
      k.quantize(src + first, count, q.offset, hi, inv, max_code, codes + (first - begin));
    });
    pack_bits(codes, end - begin, p.bits, h + pos + begin / 8 * size_t(p.bits));
  }
  return out;
}

expected<std::vector<uint8_t>> encode(const std::vector<float>& src,
                                      const std::vector<int64_t>& shape,
                                      const quant_params& params) {
  auto numel = checked_numel(shape);
  if (!numel) return make_error(errc::invalid_argument, numel.error().message);
  if (*numel != src.size())
    return make_error(errc::invalid_argument, "tensor has " + std::to_string(src.size()) +
                                                  " elements but its shape needs " +
                                                  std::to_string(*numel));
  return encode(src.data(), shape, params);
}

expected<decoded_frame> decode(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr && size > 0) return make_error(errc::invalid_argument, "null frame");
  auto header = parse_frame_header(bytes, size);
  if (!header) return header.error();
  const frame_header& h = *header;
  decoded_frame out;
  out.shape = h.shape;
  out.params = h.params;
  const size_t n = size_t(h.numel);
  out.data.resize(n);
  const uint8_t* payload = bytes + h.payload_offset;
  if (h.element == element_s8) {
    out.s8 = true;
    const float step = h.groups[0].scale;
    for (size_t i = 0; i < n; ++i) out.data[i] = float(int8_t(payload[i])) * step;
    return out;
  }
  if (h.params.bits == 0) {
    for (size_t i = 0; i < n; ++i) out.data[i] = load_f32(payload + 4 * i);
    return out;
  }

  const group_layout groups = layout_of(h.shape, h.numel, h.params);
  const kernel_table& k = kernels();
  const int bits = h.params.bits;
  uint16_t codes[chunk];
  for (size_t begin = 0; begin < n; begin += chunk) {
    size_t end = std::min(n, begin + chunk);
    unpack_bits(payload + begin / 8 * size_t(bits), end - begin, bits, codes);
    for_group_runs(begin, end, groups.size, [&](size_t g, size_t first, size_t count) {
      const group_params& q = h.groups[g];
      k.dequantize(codes + (first - begin), count, q.offset, q.scale, out.data.data() + first);
    });
  }
  return out;
}

} // namespace edgepipe::codecs
