#include "runtime/activation_frames.hpp"

#include <string>

#include "codecs/frame.hpp"

namespace edgepipe::runtime {

namespace {

expected<std::vector<uint8_t>> encode_part(const ops::tensor& t,
                                           const codecs::quant_params& params) {
  if (t.empty()) return std::vector<uint8_t>{};
  return codecs::encode(t.data, t.shape, params);
}

// main in s8 form: as it is at 8 bits, else dequantized and quantized by the codec.
expected<std::vector<uint8_t>> encode_s8_main(const ops::s8_tensor& t,
                                              const codecs::quant_params& params) {
  if (main_crosses_as_s8(params.bits)) return codecs::encode_s8(t.data.data(), t.shape, t.step);
  return codecs::encode(t.dequantized().data, t.shape, params);
}

expected<ops::tensor> decode_part(const std::vector<uint8_t>& bytes, const char* part) {
  if (bytes.empty()) return ops::tensor{};
  auto frame = codecs::decode(bytes.data(), bytes.size());
  if (!frame)
    return make_error(frame.error().code, std::string(part) + " frame: " + frame.error().message);
  // Only main has an s8 form (the residual stream and the mask are f32).
  if (frame->s8)
    return make_error(errc::invalid_input, std::string(part) +
                                               " frame field 'element type': 1 (s8), but only "
                                               "the main tensor crosses as s8");
  return ops::tensor{std::move(frame->shape), std::move(frame->data)};
}

} // namespace

expected<activation_frames> encode_activation(const ops::activation& src,
                                              const codecs::quant_params& params) {
  activation_frames out;
  if (src.has_main_s8() && !src.main.empty())
    return make_error(errc::invalid_argument, "activation has main both as f32 and as s8");
  auto main =
      src.has_main_s8() ? encode_s8_main(src.main_s8, params) : encode_part(src.main, params);
  if (!main) return main.error();
  if (main->empty()) return make_error(errc::invalid_argument, "activation has no main tensor");
  out.main = std::move(*main);
  // The residual stream crosses the same link as the main tensor: same bits.
  auto skip = encode_part(src.skip, params);
  if (!skip) return skip.error();
  out.skip = std::move(*skip);
  auto mask = encode_part(src.mask, codecs::quant_params{});
  if (!mask) return mask.error();
  out.mask = std::move(*mask);
  return out;
}

expected<ops::activation> decode_activation(const activation_frames& src) {
  if (src.main.empty()) return make_error(errc::invalid_input, "main frame: empty");
  ops::activation out;
  auto header = codecs::parse_frame_header(src.main.data(), src.main.size());
  if (!header) return make_error(header.error().code, "main frame: " + header.error().message);
  if (header->element == codecs::element_s8) {
    auto s8 = codecs::decode_s8(src.main.data(), src.main.size());
    if (!s8) return make_error(s8.error().code, "main frame: " + s8.error().message);
    out.main_s8 = ops::s8_tensor{std::move(s8->shape), std::move(s8->codes), s8->step};
  } else {
    auto main = decode_part(src.main, "main");
    if (!main) return main.error();
    out.main = std::move(*main);
  }
  auto skip = decode_part(src.skip, "skip");
  if (!skip) return skip.error();
  out.skip = std::move(*skip);
  auto mask = decode_part(src.mask, "mask");
  if (!mask) return mask.error();
  out.mask = std::move(*mask);
  return out;
}

size_t encoded_bytes(const std::vector<int64_t>& main_shape, const std::vector<int64_t>& skip_shape,
                     const std::vector<int64_t>& mask_shape, const codecs::quant_params& params,
                     bool main_s8) {
  size_t n = main_s8 && main_crosses_as_s8(params.bits) ? codecs::s8_frame_size(main_shape)
                                                        : codecs::frame_size(main_shape, params);
  if (!skip_shape.empty()) n += codecs::frame_size(skip_shape, params);
  if (!mask_shape.empty()) n += codecs::frame_size(mask_shape, codecs::quant_params{});
  return n;
}

} // namespace edgepipe::runtime
