#include "runtime/stage_input_check.hpp"

#include <cstdio>
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

std::string float_string(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

// An s8 main frame against what the stage's first layer takes.
expected<void> check_s8_main(const codecs::frame_header& main, int first, const s8_main_input& s8) {
  const std::string layer = "layer " + std::to_string(first);
  if (s8.compute != ops::dtype::int8)
    return make_error(errc::invalid_input,
                      "main frame field 'element type': 1 (s8), but this stage computes " +
                          std::string(ops::to_string(s8.compute)) +
                          ": an s8 main needs an int8 stage");
  if (!s8.step)
    return make_error(errc::invalid_input,
                      "main frame field 'element type': 1 (s8), but " + layer +
                          " takes main as float32 (s8 crosses only after layers 4k+1 and 4k+3)");
  const float step = main.groups[0].scale;
  if (!(step == *s8.step))
    return make_error(errc::invalid_input,
                      "main frame field 'step': " + float_string(step) + ", but " + layer +
                          "'s calibrated step is " + float_string(*s8.step) +
                          " (both stages must read the same int8_calibration.json)");
  return {};
}

} // namespace

expected<void> check_stage_frames(const activation_frames& frames, const ops::model_config& cfg,
                                  int first, int64_t max_batch, const s8_main_input& s8) {
  if (frames.main.empty()) return make_error(errc::invalid_input, "main frame: empty");
  auto main = header_of(frames.main, "main");
  if (!main) return main.error();
  auto skip = header_of(frames.skip, "skip");
  if (!skip) return skip.error();
  auto mask = header_of(frames.mask, "mask");
  if (!mask) return mask.error();
  if ((*main)->element == codecs::element_s8)
    if (auto ok = check_s8_main(**main, first, s8); !ok) return ok;
  if (*skip && (*skip)->element == codecs::element_s8)
    return make_error(errc::invalid_input, "skip frame field 'element type': 1 (s8), but only the "
                                           "main tensor crosses as s8");
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
  if ((*main)->element == codecs::element_s8)
    return make_error(errc::invalid_input, "main frame field 'element type': 1 (s8), but the "
                                           "model's output crosses as float32");
  const auto& shape = (*main)->shape;
  if (shape.size() != 2 || shape[0] != rows || shape[1] < 1 || (classes > 0 && shape[1] != classes))
    return make_error(errc::invalid_input,
                      "main frame field 'shape': " + ops::shape_string(shape) +
                          ", but the output of this microbatch is [" + std::to_string(rows) + ", " +
                          (classes > 0 ? std::to_string(classes) : "classes") + "]");
  return {};
}

} // namespace edgepipe::runtime
