// stage actor: one pipeline stage of one plan epoch, layers [first, last],
// on the node that spawned it. A thin shell around runtime::stage_machine:
// frames in (acknowledged at arrival, credited when they leave the queue),
// decode + layers on a worker thread of its own, results out through its
// encoder. Frames of another epoch are dropped; a frame it cannot decode or
// compute is reported to the planner (the source replays it), and the stage
// goes on. It reports its busy fraction and time per microbatch to the
// planner about every 500 ms.
#pragma once

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/specs.hpp"
#include "base/expected.hpp"

namespace edgepipe::ops {
class model; // ops/model.hpp: every family (ViT, DeiT, BERT)
using vit_model = model;
} // namespace edgepipe::ops

namespace edgepipe::actors {

// Loads the weights of spec's layer range (and only those) from the node's
// own disk, or builds the seeded synthetic model.
expected<ops::vit_model> load_stage_model(const stage_spec& spec);

// Loads the model and spawns the stage (and its worker) for `epoch`.
expected<stage_actor> spawn_stage(caf::actor_system& sys, const stage_spec& spec,
                                  uint64_t epoch = 1, uint32_t stage = 0);

} // namespace edgepipe::actors
