// link_shaper: the pure core of an emulated link (no CAF). The sending side
// asks, for each frame in send order, how long to hold it so that what crosses
// the real socket follows the topology's bandwidth: a fixed rate or a trace of
// rates over time. Nothing else reads the configured rate; a bandwidth monitor
// must measure what the shaper lets through.
//
// Model: a token bucket whose fill rate is the link's rate at the time
// (piecewise constant for a trace), depth burst_kb. While idle the bucket fills
// up to its depth; a frame of S bytes leaves as soon as the tokens gathered
// since the previous frame left (plus what was in the bucket) reach S. With
// depth 0 this is a serial link: each frame takes S / rate after the link is
// free, departure_n = max(offer_n, departure_{n-1}) + S_n / rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::actors {

class link_shaper {
public:
  explicit link_shaper(const config::bandwidth_spec& spec);

  // A frame of `bytes` is ready at `now_s` (seconds since the run started;
  // calls must come in send order, a smaller now_s is taken as the previous
  // one). Reserves the link for it and returns how many seconds to hold it
  // before sending (>= 0): the token bucket's wait plus the link's latency.
  // Frames held this way leave in the order they were offered.
  double hold_s(size_t bytes, double now_s);

  // hold_s() in nanoseconds, saturated to [0, max_hold_s]: a hold beyond it
  // (an outage that never ends, a rate of 1e-20 Mbit/s, a huge latency) or
  // not a number gives max_hold_s, so adding it to a steady-clock time in
  // int64 nanoseconds never overflows and never lets a frame through early.
  int64_t hold_ns(size_t bytes, double now_s);
  static constexpr double max_hold_s = 86400; // a day

  // The time the last offered frame leaves the bucket (without latency).
  double last_departure_s() const { return last_departure_s_; }

  // The configured rate at time t in Mbit/s (0 for an outage in a trace);
  // unlimited links return a negative number.
  double rate_mbps_at(double t_s) const;

  bool unlimited() const { return kind_ == config::bandwidth_kind::unlimited; }

private:
  // Bytes the link can carry in [t0, t1] (integral of the rate).
  double bytes_between(double t0, double t1) const;
  // The earliest t >= t0 with bytes_between(t0, t) >= bytes.
  double time_to_send(double t0, double bytes) const;
  // Bytes per second and the end of the constant-rate step holding t.
  double rate_bytes_at(double t, double* step_end) const;

  config::bandwidth_kind kind_;
  std::vector<config::rate_point> steps_; // fixed rate = one step at time 0
  bool repeat_ = false;
  double period_s_ = 0;
  double depth_bytes_ = 0;
  double latency_s_ = 0;

  double tokens_ = 0;           // bucket content at last_departure_s_
  double last_departure_s_ = 0; // when the previous frame left
  double last_offer_s_ = 0;     // the previous frame's now_s
};

} // namespace edgepipe::actors
