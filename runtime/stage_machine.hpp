// stage_machine: what a pipeline stage decides, without the actor around it.
// A stage belongs to one plan epoch and runs planner layers [first, last].
// Frames of another epoch are dropped where they arrive (a retired plan's
// traffic, or a replay that overtook the switch). Accepted frames wait in a
// queue; the stage hands them to its compute worker (another thread), at
// most `worker_depth` at once, and only while its encoder holds fewer than
// `max_handed` results it has not taken (so a slow link backs up into the
// queue, whose length the upstream credits bound).
//
// Why a stage (actors/stage_actor.cpp) uses a depth of 2: handing the worker
// a frame and hearing back wake two threads, and on cores shared with other
// stages each wake-up can wait for a time slice. With one frame at a time
// the worker idles through both; with the next frame already in its mailbox
// it goes straight on (3-stage local pipeline on 2 cores: +4% to +18%
// images/s, p50 latency +1% to +16%; bench/compare_builds.sh).
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
  stage_machine(uint64_t epoch, int first, int last, int max_handed = 2, int worker_depth = 1);

  // A frame arrived. True: queued. False: another epoch's frame, dropped.
  bool on_frame(stage_frame f);

  // The next frame to compute, if the worker holds fewer than worker_depth,
  // one is queued and the encoder has room. The stage is busy from then
  // until the worker has nothing left (on_computed/on_failed).
  std::optional<stage_frame> next_to_compute(int64_t now_ns);
  // The worker's oldest frame came back as a result, handed to the encoder.
  // compute_ns: the time the worker measured around it (decode + forward);
  // < 0: unknown, the time since it was handed over or since the previous
  // frame came back, whichever is later. The worker's own measure keeps the
  // hand-over waits out: local-3 once measured 4-5 ms of compute as 9-10 ms
  // round trips, and compute times feed the planner. The busy fraction
  // counts the whole time the worker holds frames.
  void on_computed(int64_t now_ns, int64_t compute_ns = -1);
  void on_failed(int64_t now_ns); // the frame could not be decoded or computed
  void on_taken();                // the encoder took a result
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
  bool computing() const { return !handed_over_ns_.empty(); }
  const stage_counters& counters() const { return c_; }

private:
  void frame_back(int64_t now_ns);

  uint64_t epoch_;
  int first_, last_, max_handed_, worker_depth_;
  std::deque<stage_frame> queue_;
  std::deque<int64_t> handed_over_ns_; // of the frames at the worker, oldest first
  int64_t last_back_ns_ = 0;           // when the previous frame came back
  int64_t busy_from_ns_ = 0;           // when the worker last went from 0 frames to 1
  int handed_ = 0;
  int64_t busy_mark_ns_ = -1, busy_ns_since_mark_ = 0;
  double recent_ms_ = 0;
  stage_counters c_;
};

} // namespace edgepipe::runtime
