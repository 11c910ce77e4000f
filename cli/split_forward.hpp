// split_forward: the model run as a pipeline of stages inside one process,
// every activation crossing a stage boundary through runtime::encode_activation
// and decode_activation, the pair the stages use on a real link. `edgepipe eval --split/--cuts
// --bits` measures the accuracy cost of the wire quantization with it; the stage actors do the same
// step per link. Lives in cli/ because ops/ must not depend on codecs/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.hpp"
#include "codecs/codec.hpp"
#include "ops/activation.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::cli {

// Boundaries after which an activation crosses a link: planner-layer numbers
// in 1..layers-1, strictly increasing.
using cut_list = std::vector<int>;

// S stages with boundaries at block ends, as even as possible: S-1 cuts at
// 4 * round(k * blocks / S). Error unless 1 <= S <= blocks.
expected<cut_list> even_block_cuts(int blocks, int stages);

// "8,16,20" -> {8, 16, 20}; checks range 1..layers-1 and strict order.
expected<cut_list> parse_cuts(const std::string& text, int layers);

// What crossed the links, for reporting the compression.
struct link_traffic {
  uint64_t frames = 0;
  uint64_t bytes = 0;     // encoded frame bytes
  uint64_t raw_bytes = 0; // the same tensors as float32
};

// Encodes then decodes main (and skip when present); the mask is copied as it is.
expected<ops::activation> cross_link(const ops::activation& act, const codecs::quant_params& params,
                                     link_traffic* traffic = nullptr);

// Runs layers 1..num_layers on images [B, C, H, W], crossing a link after
// each cut; returns the logits. With no cuts: one plain forward. An int8
// model at 8 bits sends main at a mid-block cut as its s8 codes, as the
// stages of `edgepipe run` do (runtime/activation_frames.hpp).
expected<ops::tensor> forward_with_cuts(ops::vit_model& model, const ops::tensor& images,
                                        const cut_list& cuts, const codecs::quant_params& params,
                                        link_traffic* traffic = nullptr);

// What an accuracy run measured, and the one JSON form `eval --json` prints
// for images and texts alike (so one table script reads both).
struct eval_summary {
  int64_t correct = 0, total = 0;
  double seconds = 0;
  ops::dtype compute = ops::dtype::f32;
  int threads = 1;
  int64_t microbatch = 1;
  cut_list cuts;
  codecs::quant_params quant;
  link_traffic traffic;
};
nlohmann::json eval_json(const eval_summary& s);

} // namespace edgepipe::cli
