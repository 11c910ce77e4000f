// stage_machine: what a pipeline stage decides, without the actor around it.
// A stage belongs to one plan epoch and runs planner layers [first, last].
// Frames of another epoch are dropped where they arrive (a retired plan's
// traffic, or a replay that overtook the switch). Accepted frames wait in a
// queue; the stage computes one at a time, and only while its encoder holds
// fewer than `max_handed` results it has not taken (so a slow link backs up
// into the queue, whose length the upstream credits bound).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "runtime/activation_frames.hpp"

namespace edgepipe::runtime {

struct stage_frame {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  int64_t origin_ns = 0;
  activation_frames frames;
};

struct stage_counters {
  uint64_t accepted = 0, dropped_stale = 0, computed = 0, failed = 0;
  uint64_t rejected = 0;  // malformed frames refused at arrival (counted in failed too)
  int64_t compute_ns = 0; // total time spent computing
};

class stage_machine {
public:
  stage_machine(uint64_t epoch, int first, int last, int max_handed = 2);

  // A frame arrived. True: queued. False: another epoch's frame, dropped.
  bool on_frame(stage_frame f);

  // The next frame to compute, if the stage is idle, has one queued and its
  // encoder has room. The stage counts as computing until on_computed/on_failed.
  std::optional<stage_frame> next_to_compute(int64_t now_ns);
  void on_computed(int64_t now_ns); // a result was handed to the encoder
  void on_failed(int64_t now_ns);   // the frame could not be decoded or computed
  void on_taken();                  // the encoder took a result
  // A frame of this epoch was malformed and refused before it was queued.
  void on_rejected() {
    ++c_.rejected;
    ++c_.failed;
  }

  // Compute time over wall time since the last call (0..1), for the timeline.
  double busy_since_last(int64_t now_ns);
  // Mean compute time per microbatch so far (0 before the first).
  double ms_per_microbatch() const;
  // The same, weighted to the recent ones (a device that slowed down shows
  // here within a few microbatches).
  double recent_ms_per_microbatch() const { return recent_ms_; }

  uint64_t epoch() const { return epoch_; }
  int first() const { return first_; }
  int last() const { return last_; }
  size_t queued() const { return queue_.size(); }
  bool computing() const { return computing_; }
  const stage_counters& counters() const { return c_; }

private:
  uint64_t epoch_;
  int first_, last_, max_handed_;
  std::deque<stage_frame> queue_;
  bool computing_ = false;
  int handed_ = 0;
  int64_t started_ns_ = 0;
  int64_t busy_mark_ns_ = -1, busy_ns_since_mark_ = 0;
  double recent_ms_ = 0;
  stage_counters c_;
};

} // namespace edgepipe::runtime
