// run_tally: what the sink counts about a run, from the results it delivers
// in order: answered microbatches and images, accuracy against the labels,
// latency percentiles (source hand-off to delivery, one clock), throughput
// over the whole run and over the last few seconds. No locks: one owner.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "ops/tensor.hpp"

namespace edgepipe::runtime {

struct run_summary {
  uint64_t requests = 0;   // microbatches the source was to send
  uint64_t answered = 0;   // delivered to the sink's user, each once, in order
  uint64_t lost = 0;       // requests - answered
  uint64_t duplicates = 0; // arrivals of a microbatch already answered (dropped)
  uint64_t stale = 0;      // arrivals from a replaced plan (dropped)
  uint64_t replayed = 0;   // microbatches the source sent again
  uint64_t images = 0;     // images answered
  uint64_t correct = 0;    // of those with a label, argmax == label
  uint64_t labeled = 0;
  double accuracy = -1;           // correct / labeled; -1 without labels
  double elapsed_s = 0;           // first hand-off to last delivery
  double images_per_s = 0;        // over elapsed_s
  double recent_images_per_s = 0; // over the last few seconds
  double latency_p50_ms = 0, latency_p99_ms = 0;
  bool complete() const { return answered >= requests; }
};

class run_tally {
public:
  // Microbatch m holds images [m * microbatch, ...); labels by image (may be empty).
  run_tally(uint64_t requests, int microbatch, std::vector<int> labels, bool keep_outputs);

  void started(int64_t now_ns);
  // One microbatch delivered: its logits [B, classes].
  void book(uint64_t seq, const ops::tensor& logits, int64_t origin_ns, int64_t now_ns);

  run_summary summary(int64_t now_ns) const;
  const std::vector<int>& predictions() const { return predictions_; } // -1 where not answered
  const std::vector<ops::tensor>& outputs() const { return outputs_; } // with keep_outputs

private:
  uint64_t requests_;
  int microbatch_;
  std::vector<int> labels_;
  bool keep_outputs_;
  std::vector<ops::tensor> outputs_;
  std::vector<int> predictions_;
  std::vector<double> latencies_ms_;
  run_summary s_;
  int64_t start_ns_ = -1, last_ns_ = 0;
  std::deque<std::pair<int64_t, uint64_t>> recent_; // (delivery time, images)
};

} // namespace edgepipe::runtime
