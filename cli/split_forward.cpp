#include "cli/split_forward.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ops/layer_descriptor.hpp"
#include "runtime/activation_frames.hpp"

namespace edgepipe::cli {

expected<cut_list> even_block_cuts(int blocks, int stages) {
  if (stages < 1 || stages > blocks)
    return make_error(errc::invalid_argument, "--split must be 1.." + std::to_string(blocks) +
                                                  " (the model has " + std::to_string(blocks) +
                                                  " blocks)");
  cut_list cuts;
  for (int k = 1; k < stages; ++k) {
    int block = static_cast<int>(std::lround(static_cast<double>(k) * blocks / stages));
    cuts.push_back(ops::layers_per_block * block);
  }
  return cuts;
}

expected<cut_list> parse_cuts(const std::string& text, int layers) {
  cut_list cuts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0')
      return make_error(errc::invalid_argument, "--cuts: '" + item + "' is not a layer number");
    if (v < 1 || v >= layers)
      return make_error(errc::invalid_argument,
                        "--cuts: " + item + " is outside 1.." + std::to_string(layers - 1));
    if (!cuts.empty() && v <= cuts.back())
      return make_error(errc::invalid_argument, "--cuts must be strictly increasing");
    cuts.push_back(static_cast<int>(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return cuts;
}

expected<ops::activation> cross_link(const ops::activation& act, const codecs::quant_params& params,
                                     link_traffic* traffic) {
  // The same function pair the stages use on a real link.
  auto frames = runtime::encode_activation(act, params);
  if (!frames) return frames.error();
  auto out = runtime::decode_activation(*frames);
  if (!out) return out.error();
  if (out->main_shape() != act.main_shape() || out->skip.shape != act.skip.shape)
    return make_error(errc::internal, "codec round trip changed shape " +
                                          ops::shape_string(act.main_shape()) + " to " +
                                          ops::shape_string(out->main_shape()));
  if (traffic) {
    traffic->frames += 1;
    traffic->bytes += frames->bytes();
    // What the same tensors would take as float32 (main in s8 form included).
    const size_t main_values = act.has_main_s8() ? act.main_s8.data.size() : act.main.data.size();
    traffic->raw_bytes +=
        (main_values + act.skip.data.size() + act.mask.data.size()) * sizeof(float);
  }
  return out;
}

expected<ops::tensor> forward_with_cuts(ops::vit_model& model, const ops::tensor& images,
                                        const cut_list& cuts, const codecs::quant_params& params,
                                        link_traffic* traffic) {
  ops::activation act;
  act.main = images;
  int first = 1;
  // As a stage does: an int8 model's main leaves a mid-block cut in s8 form
  // when the link sends 8 bits, and crosses as those codes.
  const auto form =
      runtime::main_crosses_as_s8(params.bits) ? ops::main_form::s8 : ops::main_form::f32;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    int last = i < cuts.size() ? cuts[i] : model.num_layers();
    auto out = model.forward(first, last, act, i < cuts.size() ? form : ops::main_form::f32);
    if (!out) return out.error();
    if (i == cuts.size()) return std::move(out->main);
    auto crossed = cross_link(*out, params, traffic);
    if (!crossed) return crossed.error();
    act = std::move(*crossed);
    first = last + 1;
  }
  return make_error(errc::internal, "forward_with_cuts: unreachable");
}

nlohmann::json eval_json(const eval_summary& s) {
  const double total = static_cast<double>(s.total);
  return {{"accuracy", s.correct / total},
          {"correct", s.correct},
          {"images", s.total},
          {"images_per_s", total / std::max(s.seconds, 1e-9)},
          {"seconds", s.seconds},
          {"dtype", ops::to_string(s.compute)},
          {"threads", s.threads},
          {"microbatch", s.microbatch},
          {"cuts", s.cuts},
          {"bits", s.quant.bits},
          {"clip", codecs::to_string(s.quant.clip)},
          {"granularity", codecs::to_string(s.quant.gran)},
          {"wire_bytes_per_image", static_cast<double>(s.traffic.bytes) / total},
          {"raw_bytes_per_image", static_cast<double>(s.traffic.raw_bytes) / total}};
}

} // namespace edgepipe::cli
