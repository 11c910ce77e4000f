// test_frame_faults: a test-only hook that corrupts chosen frames just before
// an encoder sends them, so tests can inject malformed frames into a real
// multi-process pipeline and check that the stage refuses them, names the
// link and the field, and the source replays the microbatch.
//
// It is armed only by the environment variable EDGEPIPE_TEST_CORRUPT_FRAMES
// of the sending process (read once, at the first frame), never by anything
// that arrives over the network: `edgepipe run` passes its environment to
// the nodes it starts, so a test sets it on the run. The value is a comma-
// separated list of LINK:SEQ:KIND; each entry corrupts the first frame on
// link LINK with a microbatch number >= SEQ, once per process (the replay
// goes through intact). KIND:
//   truncate  the main frame cut to half its bytes
//   version   the main frame's version byte set to 9
//   batch     the main frame's shape [B, T, ...] claims [B*T, 1, ...] (same bytes)
//   shape     the main frame's dimensions 1 and 2 swapped (same bytes)
//   bits      the main frame re-encoded at 2 bits (its skip keeps the link's)
//   random    the main frame replaced by as many seeded random bytes
//   link      the frame's link number off by one
//   step      an s8 main frame's step doubled (nothing else changed)
// A process with the variable set says so on stderr.
#pragma once

#include "actors/messages.hpp"

namespace edgepipe::actors {

// Corrupts `frame` if an armed entry matches it; true if it did.
bool apply_test_frame_faults(frame_msg& frame);

} // namespace edgepipe::actors
