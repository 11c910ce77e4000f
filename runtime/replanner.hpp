// replanner: decides, from what a running pipeline measured, whether to keep
// its plan, change only the bitwidths, re-partition (a new plan, epoch + 1),
// or give up because nothing fits the alive nodes.
//
// Model (replan_model.hpp): a node's slowdown is its measured stage time over
// the profiled time of the stage's layers on it, smoothed; every profiled
// layer time of the node is scaled by it (a node outside the plan keeps its
// last factor, 1 at start). Link rates are measured where known (a
// lower-bound estimate means "at least"), configured otherwise. The optimal
// partition is re-run over the alive nodes with links at their lowest bits;
// a link that even those bits cannot carry in a good period makes every plan
// using it slow, so the optimum routes around it or uses fewer stages. The
// new plan's links then take the largest bits that fit its period.
//
// Decision: switch only when
//     new period * H / (H - switch_cost) * (1 + margin) < current period
// (the switch's pause amortized over a horizon H; a bits-only change moves no
// layers and costs nothing), and never two switches within min_interval_s.
// With a target rate, periods shorter than the target's count as the
// target's: a plan that meets the target is good enough, and its links get
// the bits that fit the target's period.
// A plan that cannot run any more (a lost node) is replaced at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "runtime/plan.hpp"
#include "runtime/replan_inputs.hpp"

namespace edgepipe::runtime {

struct replanner_options {
  double margin = 0.1;            // the new period must be this fraction better
  double min_interval_s = 5;      // at least this long between two switches
  double switch_cost_s = 0.5;     // assumed pause of one re-partition
  double horizon_s = 60;          // the switch cost is spread over this much running time
  double target_images_per_s = 0; // the rate to reach (bits fill the time left); 0 = as fast
                                  // as the plan's slowest stage
  double smoothing = 0.5;         // weight of a new slowdown measurement (1 = no smoothing)
};

enum class replan_action {
  keep,        // the current plan stays
  change_bits, // same partition and epoch, other bits
  repartition, // a new plan, epoch + 1
  give_up,     // no plan fits the alive nodes' memory
};
const char* to_string(replan_action a); // "keep" | "change_bits" | "repartition" | "give_up"

struct replan_decision {
  replan_action action = replan_action::keep;
  plan next;                         // the plan to run: the current one for keep and give_up
  double current_period_s = 0;       // the current plan under the measured conditions
                                     // (infinity when it cannot run: a lost node)
  double new_period_s = 0;           // the best alternative (the switch's cost not included);
                                     // infinity for give_up
  double amortized_new_period_s = 0; // new_period_s with the switch's cost spread over
                                     // the horizon: what was compared
  double shortfall_mb = 0;           // give_up: memory the roomiest alive node lacks
  std::string reason;                // one line for logs, e.g. "link 1 (node b -> node c)
                                     // measured 4.1 Mbit/s, 2 bits need 9.3 ms > period
                                     // 3.2 ms; moving layers 13..24 to node a"
};

class replanner {
public:
  explicit replanner(replanner_options options = {}) : options_(options) {}

  // One decision at in.now_ns. Updates the nodes' slowdown factors from
  // in.stage_compute_s, and, when it switches, the time of the last switch
  // (the caller is expected to apply every switch it is given). Errors:
  // malformed inputs (errc::invalid_argument, naming the field).
  expected<replan_decision> decide(const replan_inputs& in);

  // Per node, the smoothed measured/profiled compute time ratio.
  const std::vector<double>& slowdown() const { return slowdown_; }
  const replanner_options& options() const { return options_; }

private:
  void update_slowdown(const replan_inputs& in);

  replanner_options options_;
  std::vector<double> slowdown_;
  bool switched_ = false; // whether last_switch_ns_ holds a time
  int64_t last_switch_ns_ = 0;
};

} // namespace edgepipe::runtime
