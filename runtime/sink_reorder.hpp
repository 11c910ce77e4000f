// sink_reorder: the sink's side of exactly-once, in-order delivery. Results
// arrive tagged (epoch, seq); after a re-plan the same microbatch may come
// twice (once from the old stages, once replayed) and out of order. The sink
// accepts a result only from the current epoch or later, delivers each
// microbatch once, in order of seq, holding early arrivals until the gap
// before them is filled, and counts what it dropped and why.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "ops/tensor.hpp"

namespace edgepipe::runtime {

struct sink_result {
  uint64_t seq = 0;
  int64_t origin_ns = 0; // when the source handed it over
  ops::tensor output;
};

enum class arrival { accepted, duplicate, stale_epoch, unknown_seq };

class sink_reorder {
public:
  explicit sink_reorder(uint64_t requests, uint64_t epoch = 1);

  // One result arrives. `accepted` means the source may forget it (it is
  // delivered, or held until the gap before it closes); the rest are dropped.
  arrival on_arrival(uint64_t epoch, sink_result r);

  // Results now deliverable in order; each seq comes out exactly once.
  std::vector<sink_result> take_ready();

  // Results of epochs before `epoch` are stale from now on.
  void set_epoch(uint64_t epoch) {
    if (epoch > epoch_) epoch_ = epoch;
  }
  // The source gave up on `seq`: in-order delivery steps over it.
  void skip(uint64_t seq);

  uint64_t epoch() const { return epoch_; }
  uint64_t next_expected() const { return next_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t stale() const { return stale_; }
  uint64_t held() const { return held_.size(); }
  bool finished() const { return next_ >= requests_; }

private:
  void advance();

  uint64_t requests_;
  uint64_t epoch_;
  uint64_t next_ = 0;                    // every seq below has been delivered or skipped
  std::vector<uint8_t> seen_;            // accepted or skipped
  std::map<uint64_t, sink_result> held_; // accepted, waiting for an earlier seq
  std::vector<sink_result> ready_;       // in order, not yet taken
  uint64_t delivered_ = 0, duplicates_ = 0, stale_ = 0;
};

} // namespace edgepipe::runtime
