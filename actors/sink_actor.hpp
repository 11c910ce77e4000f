// sink actor: the end of the pipeline, in the run process. It acknowledges
// and credits every frame at once, decodes the logits, and books them in a
// run_record that the driver reads for the progress line and the summary:
// answered microbatches, lost (never arrived) and duplicate ones, arrivals
// out of order, accuracy against the labels, throughput and latency
// percentiles (source hand-off to sink arrival, same clock).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/fwd.hpp>

#include "ops/tensor.hpp"

namespace edgepipe::actors {

struct run_summary {
  uint64_t requests = 0;     // microbatches the source was to send
  uint64_t answered = 0;     // distinct microbatches that reached the sink
  uint64_t lost = 0;         // requests - answered
  uint64_t duplicates = 0;   // arrivals of a microbatch already answered
  uint64_t out_of_order = 0; // arrivals with a smaller seq than one before
  uint64_t images = 0;       // images answered
  uint64_t correct = 0;      // of those with a label, argmax == label
  uint64_t labeled = 0;
  double accuracy = -1; // correct / labeled; -1 without labels
  double elapsed_s = 0; // first hand-off to last arrival
  double images_per_s = 0;
  double steady_images_per_s = 0; // after the first arrival (no pipeline fill)
  double latency_p50_ms = 0, latency_p99_ms = 0;
  bool complete() const { return answered >= requests; }
};

// Shared between the sink actor (writes) and the driver (reads).
class run_record {
public:
  // microbatch m holds images [m * microbatch, ...); labels by image (may be empty).
  run_record(uint64_t requests, int microbatch, std::vector<int> labels, bool keep_outputs);

  // Books one arrival. `logits` is [B, labels]; `origin_ns`/`now_ns` are
  // steady-clock times of this process.
  void book(uint64_t seq, const ops::tensor& logits, int64_t origin_ns, int64_t now_ns);
  void book_failure(uint64_t seq); // a frame that arrived but could not be decoded
  void started(int64_t now_ns);

  run_summary summary() const;
  // The logits of every answered microbatch by seq (empty tensors for lost
  // ones); only with keep_outputs.
  std::vector<ops::tensor> outputs() const;
  // The predicted class of every image (-1 where lost).
  std::vector<int> predictions() const;

private:
  mutable std::mutex mutex_;
  uint64_t requests_;
  int microbatch_;
  std::vector<int> labels_;
  bool keep_outputs_;
  std::vector<uint8_t> seen_;
  std::vector<ops::tensor> outputs_;
  std::vector<int> predictions_;
  std::vector<double> latencies_ms_;
  run_summary s_;
  uint64_t max_seq_seen_ = 0;
  bool any_ = false;
  int64_t start_ns_ = 0, last_ns_ = 0, first_arrival_ns_ = 0;
  uint64_t first_images_ = 0; // images of the first arrival
};

// `notify` (may be invalid): gets (credit_atom, uint32(-1), seq) per arrival.
caf::actor spawn_sink(caf::actor_system& sys, std::shared_ptr<run_record> record);
void set_sink_notify(const caf::actor& sink, const caf::actor& notify);

} // namespace edgepipe::actors
