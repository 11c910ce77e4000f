// stage_input_check: what a pipeline stage checks on a microbatch's frames
// when they arrive, before it decodes anything: every header parses (magic,
// version, sizes against the bytes present: codecs/frame.hpp), main and skip
// were sent at the same bits (one link sends both at its bitwidth), the mask
// raw, and the shapes are what the stage's first layer takes for a batch of
// at most `max_batch` (ops/model_input.hpp). So a malformed or hostile frame
// costs an error, never an allocation sized by its claims. Errors name the
// part and the field ("skip frame field 'bits': ...").
#pragma once

#include <cstdint>

#include "base/expected.hpp"
#include "ops/model_config.hpp"
#include "runtime/activation_frames.hpp"

namespace edgepipe::runtime {

expected<void> check_stage_frames(const activation_frames& frames, const ops::model_config& cfg,
                                  int first, int64_t max_batch);

// What the sink checks on the last link's frames before decoding them: one
// main frame of the model's output [rows, classes] (the microbatch's rows;
// classes > 0: that many, as the earlier answers had), nothing else.
expected<void> check_output_frames(const activation_frames& frames, int64_t rows, int64_t classes);

} // namespace edgepipe::runtime
