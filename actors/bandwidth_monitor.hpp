// bandwidth monitor: collects the encoders' transfer measurements (bytes and
// the time from when the link could carry them to the receiver's ack) and
// keeps a smoothed estimate per link (exponentially weighted harmonic mean:
// time and bytes are averaged separately, so small frames do not dominate).
// It measures what the shapers let through; it never reads configured rates.
//
// Messages:
//   link_sample                                    from encoders
//   (get_atom) -> std::vector<double>              Mbit/s per link (0 = none yet)
// Each new estimate also goes to `subscriber` (if valid) as
//   (estimate_atom, uint32 link, double mbps, double frame_bytes), at most
// every 200 ms per link (frame_bytes: the smoothed size of its frames).
#pragma once

#include <caf/fwd.hpp>

namespace edgepipe::actors {

caf::actor spawn_bandwidth_monitor(caf::actor_system& sys, const caf::actor& subscriber);

} // namespace edgepipe::actors
