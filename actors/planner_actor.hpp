// planner actor: holds the running plan's link settings and adapts the
// bitwidth of adaptive links to the measured bandwidth (QuantPipe's rule:
// the largest bitwidth whose transfer time fits in the sending stage's
// compute time, so sending never becomes the bottleneck). The partition
// itself is chosen before deployment (planner library, see cli/cmd_run.cpp);
// this actor changes bitwidths by message at run time.
//
// Inputs are measured, never configured: bandwidth from the monitor's
// estimates, frame sizes from the same samples, compute time from the
// stage's own counters ((stats_atom) on the stage).
//
// Messages:
//   (estimate_atom, uint32 link, double mbps, double frame_bytes)  from the monitor
//   (get_atom) -> std::vector<int32_t>   current bits per stage's outgoing link
#pragma once

#include <cstdint>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace edgepipe::actors {

struct planned_link {
  uint32_t link = 0; // the link leaving `stage`
  caf::actor stage;  // gets (quant_atom, bits, clip) and forwards it to its encoder
  bool adaptive = false;
  int min_bits = 2, max_bits = 16;
  int bits = 0; // current
  uint8_t clip = 0;
};

// Chooses bits for a link: the largest b in [min_bits, max_bits] whose frame
// (elements values at b bits) crosses `mbps` within `budget_s`; min_bits if
// none does. Pure, for tests.
int choose_bits(double elements, double mbps, double budget_s, int min_bits, int max_bits);

caf::actor spawn_planner(caf::actor_system& sys, std::vector<planned_link> links);

} // namespace edgepipe::actors
