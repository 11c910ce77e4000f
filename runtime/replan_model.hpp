// replan_model: the running pipeline as a planner instance. Each node's
// profiled per-layer times are scaled by its measured slowdown; each node
// pair gets the rate the run measured (or the configured one), and links are
// costed at the lowest bitwidth they allow, because a plan can always lower a
// link's bits to that, and bits only buy accuracy once the period holds.
//
// The arithmetic is the planner's cost model `edgepipe` (planner/README.md):
// stage time = max(compute, send of a codecs frame), memory by PipeEdge's
// formula, so predicted periods are those `optimal_partition` optimises.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "planner/plan.hpp"
#include "planner/profiles.hpp"
#include "runtime/plan.hpp"
#include "runtime/replan_inputs.hpp"

namespace edgepipe::runtime {

// Where a pair's rate came from, for reasons.
enum class rate_source {
  measured,   // the monitor's estimate
  at_least,   // a lower-bound estimate above the configured rate
  configured, // never measured (or a lower bound below the configured rate)
};

struct pair_rate {
  double mbps = 0; // 10^6 bit/s; infinity = unlimited
  rate_source source = rate_source::configured;
};

class replan_model {
public:
  // Checks the inputs' sizes and ranges (errors name the field) and builds
  // the model with per-node slowdown factors (size = nodes).
  static expected<replan_model> build(const replan_inputs& in, const std::vector<double>& slowdown);

  int num_nodes() const { return static_cast<int>(names_.size()); }
  int layers() const { return all_.layers; }
  const std::string& name(int node) const { return names_[node]; }
  bool alive(int node) const { return alive_[node]; }
  pair_rate rate(int from, int to) const { return rates_[from * num_nodes() + to]; }
  int min_bits(int from, int to) const { return min_bits_[from * num_nodes() + to]; }

  // Seconds to send layer `layer`'s output from -> to at `bits` (0 = float32).
  double send_s(int layer, int from, int to, int bits) const;
  // Scaled compute seconds of layers [first, last] on `node`.
  double compute_s(int node, int first, int last) const;

  // `p` under the model with its own bits: per stage compute, send and
  // memory, and the period. Errors: a dead node; with `check_memory`, a
  // stage that does not fit (the plan in force is evaluated without: it
  // runs, whatever the memory model says).
  expected<planner::plan> evaluate(const plan& p, bool check_memory = true) const;

  // Per link of `stages`, the largest allowed bitwidth whose frame is sent
  // within `period_s` (float32 counts as the largest), else the lowest
  // allowed. The sink link gets 0.
  std::vector<int> fit_bits(const std::vector<stage_assignment>& stages, double period_s) const;

  // The optimal partition over the alive nodes, links at their lowest bits
  // (bits of the result are those lowest bits). `bound`: a period some
  // fitting plan is known to reach (prunes the search; infinity if none).
  // Errors: errc::infeasible when no partition fits the alive nodes' memory
  // (or none reaches `bound`). Exact up to 12 alive nodes, the planner's
  // links heuristic beyond (planner/README.md).
  expected<plan> optimal(double bound = std::numeric_limits<double>::infinity()) const;

  // With no plan fitting: the least memory the roomiest alive node would
  // need in addition for one to fit, MB (to 0.1 MB), and that node.
  double shortfall_mb(int* roomiest) const;

private:
  planner::instance alive_instance(std::vector<int>* node_of_device) const;

  planner::instance all_; // every node (dead ones too), link bits = the pairs' lowest
  std::vector<std::string> names_;
  std::vector<bool> alive_;
  std::vector<pair_rate> rates_;
  std::vector<int> min_bits_, max_bits_;
};

// "node b (stage 1, layers 13..24)" and "link 1 (node b -> node c)".
std::string describe_stage(const replan_model& m, const plan& p, int stage);
std::string describe_link(const replan_model& m, const plan& p, int link);

} // namespace edgepipe::runtime
