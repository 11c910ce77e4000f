// encoder actor: the sending end of one link (the quantization codec actor),
// in the sender's process. It takes results from its producer (a stage or
// the source), quantizes them with the link's current bits and clipping
// (runtime/activation_frames), holds them as long as the emulated link's
// shaper says, and sends at most `window` frames without a credit back.
// Each acknowledged frame feeds the link's capacity estimate
// (runtime/link_estimator), which it reports to the bandwidth monitor about
// every 200 ms. `set_bits` changes the bitwidth from the next frame on.
#pragma once

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/specs.hpp"

namespace edgepipe::actors {

struct encoder_wiring {
  uint64_t epoch = 1;
  link_spec spec;
  frame_receiver next;
  monitor_actor monitor; // may be invalid: no reports
  planner_actor planner; // may be invalid: a frame it cannot encode is only logged
  uint32_t stage = 0;    // the producing stage, for failure reports
  // The producer is an int8 stage ending after 4k+1 or 4k+3: at 8 bits its
  // main crosses in s8 form (reported, so the planner sizes frames exactly).
  bool main_s8 = false;
};

encoder_actor spawn_encoder(caf::actor_system& sys, encoder_wiring wiring);

} // namespace edgepipe::actors
