// link_estimator: what one link can carry, measured from the frames that get
// through it, never from a configured rate.
//
// Model: a serial link of capacity C with a round trip R (the link's latency
// plus the acknowledgement's way back). Frame n of S_n bytes is offered at
// o_n; it starts crossing once the link is free, and its ack arrives at
//   a_n = max(o_n + R, a_{n-1}) + S_n / C.
// So a_n - max(o_n + R, a_{n-1}) is the frame's time on the wire. Two cases:
//  - saturated: the previous frame's ack came after o_n + R (the frame waited
//    behind it): the time is the ack-to-ack dispersion, free of latency, and
//    measures C itself.
//  - idle: the link was free when the frame was offered: the time is
//    S/C + (R - R_est). R is only known as a lower bound R_est (from the
//    smallest overhead seen, or from explicit round-trip probes), so the rate
//    derived is a LOWER BOUND on C. A link with 2 ms latency and room to spare
//    reads "at least X", never "X": the bit controller probes upward instead of
//    lowering bits on it.
// Every sample is thus a lower bound of the capacity in this model; the
// saturated ones are tight.
//
// Receiver-side queueing: if the receiver acknowledges only once its stage
// takes the frame, a busy receiver stretches the dispersion and the link reads
// slower than it is. The sender can subtract what the receiver reports as its
// own hold (transfer_sample::receiver_hold_ns); acknowledging on arrival, not on
// dequeue, avoids the problem altogether.
//
// A window of one frame in flight never saturates the link (each frame is
// offered after the previous ack): such a link only ever reads as a lower
// bound. Use a credit window of 2 or more.
#pragma once

#include <cstdint>
#include <deque>

namespace edgepipe::runtime {

// One acknowledged frame, as the sending end of the link saw it. All times on
// the sender's monotonic clock, in nanoseconds.
struct transfer_sample {
  // Bytes that crossed the link for this frame (every tensor of the frame).
  uint64_t bytes = 0;
  // When the frame was handed to the link: the send call on a real socket, or
  // for an emulated link the moment it was given to the shaper (NOT when the
  // shaper released it: the shaper's hold is the emulated transfer). After
  // any wait for a credit: time spent waiting for the window is not the link's.
  int64_t offered_ns = 0;
  // When the receiver's acknowledgement of this frame reached the sender.
  int64_t ack_ns = 0;
  // How long the receiver held the frame before acknowledging it, if it knows
  // and reports it (0 if the ack is sent on arrival or unknown).
  int64_t receiver_hold_ns = 0;
};

// What the estimator believes at a given moment.
struct link_estimate {
  double mbps = 0;         // 10^6 bit/s; 0 = nothing measured yet
  double confidence = 0;   // 0..1: how many samples back the figure, and how recent
  bool lower_bound = true; // true: the link was never seen saturated lately, mbps is "at least"
  double latency_ms = 0;   // estimated base round trip (a lower bound of it)
  uint64_t samples = 0;    // samples taken in total
};

struct estimator_options {
  int window = 8;                     // samples averaged per kind (saturated, idle)
  int full_confidence_samples = 4;    // saturated samples for confidence 1 (before ageing)
  int latency_window = 64;            // recent overhead readings the base latency is the min of
  int64_t stale_ns = 10'000'000'000;  // confidence decays as exp(-age / stale_ns)
  int64_t restart_ns = 2'000'000'000; // saturated again after this long idle: start afresh
  double busy_guard = 0.25;           // queued = waited > latency + busy_guard * wire time
  double supersede = 0.10;            // idle readings above the saturated one by this much win
  double jump = 0.25;                 // 3 readings off the average by this much: a step change
};

class link_estimator {
public:
  explicit link_estimator(estimator_options options = {});

  // One acknowledged frame. Samples must come in ack order (a serial link
  // acknowledges in order); a frame whose ack never came is simply not added.
  void add(const transfer_sample& s);

  // The round trip of a message too small to take measurable wire time (a
  // ping over the same path): a direct reading of the base latency, which
  // makes the idle readings tight.
  void add_round_trip(int64_t rtt_ns);

  link_estimate current(int64_t now_ns) const;

private:
  struct reading {
    double bytes = 0;
    double seconds = 0; // time on the wire
  };
  static double mbps_of(const std::deque<reading>& w);
  void push(std::deque<reading>& w, reading r);
  void note_latency(double seconds);
  double latency_s() const; // current base-latency estimate (a lower bound)

  estimator_options opt_;
  std::deque<reading> saturated_;
  std::deque<reading> idle_; // only idle readings since the last saturated one
  std::deque<double> latency_candidates_;
  int64_t prev_ack_ns_ = 0;
  bool have_prev_ = false;
  int64_t last_saturated_ns_ = 0;
  int64_t last_idle_ns_ = 0;
  uint64_t samples_ = 0;
};

} // namespace edgepipe::runtime
