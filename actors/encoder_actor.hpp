// encoder actor: the sending end of one link (the quantization codec actor),
// co-located with the stage (or source) that feeds it.
//
// It takes activations from its producer, encodes them with the link's
// current bits and clipping (codecs::encode), holds each frame as long as the
// emulated link's shaper says (link_shaper), and sends it to the next stage
// while fewer than K frames are unconfirmed (credits). Per frame the receiver
// answers twice: an ack at arrival (this encoder turns it into a bandwidth
// sample for the monitor: bytes over the time from when the link could carry
// the frame to the ack) and a credit when the frame leaves its queue.
//
// Messages:
//   activation_msg                 from the producer; answered by (taken_atom)
//                                  when the encoder takes it off its backlog
//   (ack_atom, uint32 link, uint64 seq)     from the receiver
//   (credit_atom, uint32 link, uint64 seq)  from the receiver
//   (quant_atom, int32 bits, uint8 clip)    from the planner: new settings
//   (stats_atom) -> (uint64 frames, uint64 bytes, int32 bits)
#pragma once

#include <caf/fwd.hpp>

#include "actors/specs.hpp"

namespace edgepipe::actors {

// `monitor` may be an invalid handle (no measurements sent).
caf::actor spawn_encoder(caf::actor_system& sys, const link_spec& spec, const caf::actor& next,
                         const caf::actor& monitor);

} // namespace edgepipe::actors
