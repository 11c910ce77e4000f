// stage actor: one pipeline stage, planner layers [first, last] of a ViT.
//
// The stage is an event-based actor that never blocks: it acknowledges each
// incoming frame at once (the sender's bandwidth measurement), queues it, and
// gives one frame at a time to its compute worker, a detached actor (own
// thread) that decodes the frame, runs the layers with oneDNN and returns
// the activation. The result goes to the stage's encoder (one per outgoing
// link). A credit goes back upstream when a frame leaves the queue, so the
// sender has at most K frames queued here; the stage itself computes only
// while its encoder holds fewer than two results, so a slow link downstream
// stops it instead of growing a buffer.
//
// Messages (see messages.hpp):
//   frame_msg                                 from the upstream encoder
//   (wire_atom, link_spec, actor next, actor monitor) -> ok_atom | error
//       creates the encoder toward `next`; connects to next's node directly
//       first when link_spec names its host
//   (quant_atom, int32 bits, uint8 clip)      forwarded to the encoder
//   (stats_atom) -> (uint64 frames, int64 compute_ns)
#pragma once

#include <caf/fwd.hpp>

#include "actors/specs.hpp"
#include "base/expected.hpp"

namespace edgepipe::actors {

// Loads the stage's layers (blocking the caller: the weights come from
// spec.model_dir on this machine, or are synthesized from spec's seed), then
// spawns the worker and the stage. Errors: a missing or malformed model, a
// layer range outside the model.
expected<caf::actor> spawn_stage(caf::actor_system& sys, const stage_spec& spec);

} // namespace edgepipe::actors

namespace edgepipe::ops {
class model; // ops/model.hpp: every family (ViT, DeiT, BERT)
using vit_model = model;
} // namespace edgepipe::ops

namespace edgepipe::actors {

// The model (or the layers of it) a stage_spec names, with its options.
expected<ops::vit_model> load_stage_model(const stage_spec& spec);

} // namespace edgepipe::actors
