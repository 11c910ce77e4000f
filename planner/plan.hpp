// plan: a partition of the model's layers into stages on devices, and its
// evaluation under the cost model (independent of how the plan was found).
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::planner {

struct stage {
  int device = 0; // index into instance::devices
  int first = 1;  // layers [first, last], 1-based as in PipeEdge
  int last = 1;
  double compute_s = 0;
  double send_s = 0; // to the next stage; 0 for the last stage
  double memory_mb = 0;
};

struct plan {
  double period_s = 0; // max over stages of max(compute_s, send_s)
  std::vector<stage> stages;
};

// Fills compute_s, send_s, memory_mb and period_s from device/first/last and
// checks the plan: layers 1..L covered in order, each device at most once,
// every stage within its device's memory. Errors say which stage is wrong.
expected<plan> evaluate(const instance& inst, const std::vector<stage>& stages);

// Throughput in microbatches per second (1 / period).
inline double throughput(const plan& p) {
  return p.period_s > 0 ? 1.0 / p.period_s : 0.0;
}

// "rcc-0[1-24] mb-0[25-48]": for logs and errors.
std::string describe(const instance& inst, const plan& p);

} // namespace edgepipe::planner
