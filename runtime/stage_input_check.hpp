// stage_input_check: what a pipeline stage checks on a microbatch's frames
// when they arrive, before it decodes anything: every header parses (magic,
// version, sizes against the bytes present: codecs/frame.hpp), main and skip
// were sent at the same bits (one link sends both at its bitwidth), the mask
// raw, and the shapes are what the stage's first layer takes for a batch of
// at most `max_batch` (ops/model_input.hpp). So a malformed or hostile frame
// costs an error, never an allocation sized by its claims. Errors name the
// part and the field ("skip frame field 'bits': ...").
//
// An s8 main frame (codecs::encode_s8) is taken only by an int8 stage whose
// first layer follows 4k+1 or 4k+3, and only with the step that stage's
// calibration gives for it: its codes go to the matmul unchanged, so any
// other step would silently rescale the activation.
#pragma once

#include <cstdint>
#include <optional>

#include "base/expected.hpp"
#include "ops/dtype.hpp"
#include "ops/model_config.hpp"
#include "runtime/activation_frames.hpp"

namespace edgepipe::runtime {

// What the receiving stage accepts as an s8 main: its compute dtype, and the
// step of main in s8 form before its first layer (ops::model::s8_main_step(
// first - 1)); no step: s8 main frames are refused.
struct s8_main_input {
  ops::dtype compute = ops::dtype::f32;
  std::optional<float> step;
};

expected<void> check_stage_frames(const activation_frames& frames, const ops::model_config& cfg,
                                  int first, int64_t max_batch, const s8_main_input& s8 = {});

// What the sink checks on the last link's frames before decoding them: one
// main frame of the model's output [rows, classes] (the microbatch's rows;
// classes > 0: that many, as the earlier answers had), nothing else.
expected<void> check_output_frames(const activation_frames& frames, int64_t rows, int64_t classes);

} // namespace edgepipe::runtime
