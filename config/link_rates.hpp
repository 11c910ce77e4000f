// link_rates: whether the emulated rate of each link of a plan lets a frame
// cross in time. A link at 1e-6 Mbit/s holds a ViT-Base activation for days,
// so a run would wait with nothing to show; `edgepipe run` refuses such a
// plan before deploying it, naming the link, its rate and the frame's size
// and crossing time. Checked per link of the plan because the frame's size
// depends on the boundary (the model's layer), the microbatch and the bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/topology.hpp"

namespace edgepipe::config {

// Below this a positive rate is refused when the topology is read (a trace
// may still say 0 for an outage): 1 kbit/s, where a 1 KB frame takes 8 s.
inline constexpr double min_rate_mbps = 0.001;

// One link of a plan: after stage `after_stage` (0-based), from node `from` to
// node `to`, carrying `elements` float32 values per microbatch.
struct planned_link {
  int after_stage = 0;
  std::string from;
  std::string to;
  int64_t elements = 0;
};

// The rate a link holds for good: a fixed rate; a trace's last rate (or, when
// it repeats, its mean over the period); negative when unlimited.
double sustained_mbps(const bandwidth_spec& b);

// Every link's frame (planner::frame_bytes at the link's bits: fixed bits, or
// max_bits for an adaptive link, which starts there) must cross at the
// sustained rate within runtime.request_timeout_s. Errors (invalid_input)
// start at the link's settings in the file and say the link, the rate, the
// frame's size and time, and the least rate that would do.
expected<void> check_link_rates(const topology& topo, const std::vector<planned_link>& links);

} // namespace edgepipe::config
