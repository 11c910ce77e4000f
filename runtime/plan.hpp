// plan: what runs where, and how each link is quantized, for one epoch of a
// live pipeline. Every frame carries the epoch of the plan it was sent under;
// a re-partition makes a new plan with the next epoch, and whoever sees a
// frame of an older epoch drops it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgepipe::runtime {

// One stage: planner layers [first, last] (1-based, inclusive) on a node
// (an index into the topology's node list).
struct stage_assignment {
  int node = 0;
  int first = 1;
  int last = 1;
};

struct plan {
  uint64_t epoch = 1;
  std::vector<stage_assignment> stages; // in pipeline order
  // bits[i]: the link leaving stage i (0 = raw float32). The last link feeds
  // the sink and stays float32. Same size as stages.
  std::vector<int> bits;
};

// The same stages on the same nodes with the same layers (bits and epoch
// aside).
bool same_partition(const plan& a, const plan& b);

// "node 0 [1..8] -> node 2 [9..24]": for logs and errors.
std::string describe(const plan& p);

} // namespace edgepipe::runtime
