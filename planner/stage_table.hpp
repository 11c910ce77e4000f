// stage_table: the cost model precomputed for the partition DP, over device
// classes. A class is a group of interchangeable devices (same compute,
// memory and links); the DP only counts how many of each class it has used.
//   by type:   one class per device type (PipeEdge's state; exact when
//              bandwidth is per device type, i.e. no links.yml)
//   by device: one class per device (exact with a links.yml)
// With links.yml, `by_type` is the heuristic's abstraction: a class pair's
// send time summarises its member pairs (slowest, mean or fastest).
#pragma once

#include <cstdint>
#include <vector>

#include "planner/profiles.hpp"

namespace edgepipe::planner {

// How a class pair's send time summarises its member pairs' (links.yml).
enum class link_summary {
  slowest, // an upper bound: every real pair is at least this fast
  mean,    // the average pair
  fastest, // a lower bound: the DP's period bounds the true optimum from below
};

class stage_table {
public:
  static stage_table by_type(const instance& inst, link_summary links = link_summary::slowest);
  static stage_table by_device(const instance& inst);

  int classes() const { return static_cast<int>(members_.size()); }
  int layers() const { return layers_; }
  int count(int c) const { return static_cast<int>(members_[c].size()); }
  const std::vector<int>& members(int c) const { return members_[c]; }

  // Layers [first, last] (1-based) on a device of class c.
  double compute(int c, int first, int last) const { return compute_[index(c, first, last)]; }
  bool fits(int c, int first, int last) const { return fits_[index(c, first, last)] != 0; }
  // Weights alone, bytes; compared with mem_limit_bytes to stop growing a stage.
  double weight_bytes(int first, int last) const {
    return weights_[static_cast<size_t>(first - 1) * layers_ + (last - 1)];
  }
  double mem_limit_bytes(int c) const { return mem_limit_[c]; }
  // Sending layer `layer`'s output from class u to class v.
  double send(int layer, int u, int v) const {
    return send_[(static_cast<size_t>(layer - 1) * classes() + u) * classes() + v];
  }

private:
  static stage_table build(const instance& inst, std::vector<std::vector<int>> members,
                           link_summary links);
  size_t index(int c, int first, int last) const {
    return (static_cast<size_t>(c) * layers_ + (first - 1)) * layers_ + (last - 1);
  }

  int layers_ = 0;
  std::vector<std::vector<int>> members_;
  std::vector<double> compute_, weights_, mem_limit_, send_;
  std::vector<uint8_t> fits_;
};

} // namespace edgepipe::planner
