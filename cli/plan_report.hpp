// plan_report: why a plan is what it is, per stage: the node, its layers,
// the predicted compute and send times (the send at the link's rate and
// bits), the weights against the node's memory, and the period. `edgepipe
// run` prints it before running (and only it with --dry-run); CAF-free.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.hpp"
#include "planner/plan.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::cli {

struct stage_report {
  std::string node;
  int first = 1, last = 1;
  double compute_ms = 0;
  double send_ms = 0;   // to the next stage; 0 for the last (it feeds the sink)
  int bits = 0;         // of the link leaving the stage (0 = fp32)
  double link_mbps = 0; // 10^6 bit/s; 0 = unlimited or no link
  double weights_mb = 0;
  double memory_mb = 0; // weights + activation buffers, as the planner counts
  double limit_mb = 0;  // the node's memory; 0 = unlimited
};

struct plan_report {
  std::vector<stage_report> stages;
  double period_ms = 0; // max over stages of max(compute, send)
  int bottleneck = 0;   // the stage that sets the period
};

// Evaluates `stages` (device = index into inst.devices) under inst's cost
// model; errors name the stage that does not fit or a gap in the layers.
expected<plan_report> explain_plan(const planner::instance& inst,
                                   const std::vector<planner::stage>& stages);

// "stage 0  node-a  layers 1..24  compute 12.30 ms  send 4.10 ms (8-bit, 100.0 Mbit/s)
//  weights 330.1 MB (+ 12.0 buffers) of 1000 MB", one per stage, then "period ...".
std::vector<std::string> report_lines(const plan_report& report);
nlohmann::json report_json(const plan_report& report);

} // namespace edgepipe::cli
