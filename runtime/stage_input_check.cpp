#include "runtime/stage_input_check.hpp"

#include <optional>
#include <string>

#include "codecs/frame.hpp"
#include "ops/model_input.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::runtime {
namespace {

// A part's header (nothing when the part is absent), or the error naming it.
expected<std::optional<codecs::frame_header>> header_of(const std::vector<uint8_t>& bytes,
                                                        const char* part) {
  if (bytes.empty()) return std::optional<codecs::frame_header>{};
  auto h = codecs::parse_frame_header(bytes.data(), bytes.size());
  if (!h) return make_error(h.error().code, std::string(part) + " " + h.error().message);
  if (h->shape.empty())
    return make_error(errc::invalid_input, std::string(part) +
                                               " frame field 'rank': 0, a stage's input "
                                               "has a batch dimension");
  return std::optional<codecs::frame_header>(std::move(*h));
}

} // namespace

expected<void> check_stage_frames(const activation_frames& frames, const ops::model_config& cfg,
                                  int first, int64_t max_batch) {
  if (frames.main.empty()) return make_error(errc::invalid_input, "main frame: empty");
  auto main = header_of(frames.main, "main");
  if (!main) return main.error();
  auto skip = header_of(frames.skip, "skip");
  if (!skip) return skip.error();
  auto mask = header_of(frames.mask, "mask");
  if (!mask) return mask.error();
  const int bits = (*main)->params.bits;
  if (*skip && (*skip)->params.bits != bits)
    return make_error(errc::invalid_input,
                      "skip frame field 'bits': " + std::to_string((*skip)->params.bits) +
                          ", but the main frame's is " + std::to_string(bits) +
                          " (a link sends both at its bitwidth)");
  if (*mask && (*mask)->params.bits != 0)
    return make_error(errc::invalid_input,
                      "mask frame field 'bits': " + std::to_string((*mask)->params.bits) +
                          ", but a mask is always sent raw (0)");
  ops::input_shapes shapes;
  shapes.main = (*main)->shape;
  if (*skip) shapes.skip = (*skip)->shape;
  if (*mask) shapes.mask = (*mask)->shape;
  if (auto ok = ops::check_input_shapes(cfg, first, max_batch, shapes); !ok)
    return make_error(ok.error().code, "frame field 'shape': " + ok.error().message);
  return {};
}

expected<void> check_output_frames(const activation_frames& frames, int64_t rows, int64_t classes) {
  if (frames.main.empty()) return make_error(errc::invalid_input, "main frame: empty");
  if (!frames.skip.empty() || !frames.mask.empty())
    return make_error(errc::invalid_input,
                      std::string(frames.skip.empty() ? "mask" : "skip") +
                          " frame: present, but the model's output is one tensor");
  auto main = header_of(frames.main, "main");
  if (!main) return main.error();
  const auto& shape = (*main)->shape;
  if (shape.size() != 2 || shape[0] != rows || shape[1] < 1 || (classes > 0 && shape[1] != classes))
    return make_error(errc::invalid_input,
                      "main frame field 'shape': " + ops::shape_string(shape) +
                          ", but the output of this microbatch is [" + std::to_string(rows) + ", " +
                          (classes > 0 ? std::to_string(classes) : "classes") + "]");
  return {};
}

} // namespace edgepipe::runtime
