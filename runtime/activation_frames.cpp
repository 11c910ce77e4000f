#include "runtime/activation_frames.hpp"

#include <string>

namespace edgepipe::runtime {

namespace {

expected<std::vector<uint8_t>> encode_part(const ops::tensor& t,
                                           const codecs::quant_params& params) {
  if (t.empty()) return std::vector<uint8_t>{};
  return codecs::encode(t.data, t.shape, params);
}

expected<ops::tensor> decode_part(const std::vector<uint8_t>& bytes, const char* part) {
  if (bytes.empty()) return ops::tensor{};
  auto frame = codecs::decode(bytes.data(), bytes.size());
  if (!frame)
    return make_error(frame.error().code, std::string(part) + " frame: " + frame.error().message);
  return ops::tensor{std::move(frame->shape), std::move(frame->data)};
}

} // namespace

expected<activation_frames> encode_activation(const ops::activation& src,
                                              const codecs::quant_params& params) {
  activation_frames out;
  auto main = encode_part(src.main, params);
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
  auto main = decode_part(src.main, "main");
  if (!main) return main.error();
  out.main = std::move(*main);
  auto skip = decode_part(src.skip, "skip");
  if (!skip) return skip.error();
  out.skip = std::move(*skip);
  auto mask = decode_part(src.mask, "mask");
  if (!mask) return mask.error();
  out.mask = std::move(*mask);
  return out;
}

size_t encoded_bytes(const std::vector<int64_t>& main_shape, const std::vector<int64_t>& skip_shape,
                     const std::vector<int64_t>& mask_shape, const codecs::quant_params& params) {
  size_t n = codecs::frame_size(main_shape, params);
  if (!skip_shape.empty()) n += codecs::frame_size(skip_shape, params);
  if (!mask_shape.empty()) n += codecs::frame_size(mask_shape, codecs::quant_params{});
  return n;
}

} // namespace edgepipe::runtime
