#include "ops/model_input.hpp"

#include <string>

#include "ops/tensor.hpp"

namespace edgepipe::ops {
namespace {

using shape = std::vector<int64_t>;

error bad_input(int first, const std::string& what, const shape& got, const shape& want) {
  return make_error(errc::invalid_input, "layer " + std::to_string(first) + " takes " + what +
                                             " of shape " + shape_string(want) + ", got " +
                                             shape_string(got));
}

error unexpected(int first, const std::string& what, const shape& got) {
  return make_error(errc::invalid_input, "layer " + std::to_string(first) + " takes no " + what +
                                             ", got one of shape " + shape_string(got));
}

} // namespace

expected<void> check_input_shapes(const model_config& cfg, int first, int64_t max_batch,
                                  const input_shapes& in) {
  const std::string layer = "layer " + std::to_string(first);
  if (in.main.empty() || in.main[0] < 1)
    return make_error(errc::invalid_input,
                      layer + ": the input " + shape_string(in.main) + " has no batch dimension");
  const int64_t b = in.main[0];
  if (b > max_batch)
    return make_error(errc::invalid_input, layer + ": input " + shape_string(in.main) +
                                               " has batch " + std::to_string(b) +
                                               ", above the limit " + std::to_string(max_batch));
  int64_t t = cfg.tokens();
  if (cfg.is_text()) { // the sequence length is the input's: [B, S] ids or [B, S, width]
    const size_t rank = first == 1 ? 2 : 3;
    if (in.main.size() != rank)
      return make_error(errc::invalid_input,
                        layer + " takes " +
                            (first == 1 ? "token ids [B, S]" : "a tensor [B, S, width]") +
                            ", got " + shape_string(in.main));
    t = in.main[1];
    if (t < 1 || t > cfg.max_position_embeddings)
      return make_error(errc::invalid_input, "sequence length " + std::to_string(t) +
                                                 " is outside 1.." +
                                                 std::to_string(cfg.max_position_embeddings) +
                                                 " (max_position_embeddings)");
    if (!in.mask.empty() && in.mask != shape{b, t})
      return bad_input(first, "an attention mask", in.mask, {b, t});
    if (in.mask.empty() && first > 1)
      return make_error(errc::invalid_input,
                        layer + " takes the attention mask [B, S] with the hidden states (every "
                                "BERT boundary carries it), got none");
  } else if (!in.mask.empty()) {
    return make_error(errc::invalid_input, layer + " of a " + to_string(cfg.family) +
                                               " model takes no attention mask, got one");
  }
  const int64_t d = cfg.hidden_size;
  const shape stream{b, t, d};
  if (first == 1 && cfg.is_text()) {
    if (!in.skip.empty() && in.skip != shape{b, t})
      return bad_input(first, "token type ids", in.skip, {b, t});
    return {};
  }
  if (first == 1) {
    const int64_t c = cfg.num_channels, s = cfg.image_size;
    if (in.main != shape{b, c, s, s})
      return bad_input(first, "images [B, C, H, W]", in.main, {b, c, s, s});
    if (!in.skip.empty()) return unexpected(first, "skip tensor", in.skip);
    return {};
  }
  const int part = (first - 2) % 4; // the part of the block that produced the input
  if (part == 0 || part == 2) {
    const int64_t width = part == 0 ? d : cfg.intermediate_size;
    if (in.main != shape{b, t, width})
      return bad_input(first, part == 0 ? "an attention context" : "an fc1 output", in.main,
                       {b, t, width});
    if (in.skip != stream) return bad_input(first, "a skip (residual) tensor", in.skip, stream);
    return {};
  }
  if (in.main != stream) return bad_input(first, "a residual stream", in.main, stream);
  if (!in.skip.empty()) return unexpected(first, "skip tensor", in.skip);
  return {};
}

} // namespace edgepipe::ops
