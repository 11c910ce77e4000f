// link_shaper: token bucket over a piecewise-constant rate. No CAF here; the
// encoder actor turns hold_s() into a delayed send.
#include "actors/link_shaper.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgepipe::actors {
namespace {

constexpr double bytes_per_mbit = 1e6 / 8; // 1 Mbit/s = 10^6 bit/s (docs/topology.md)
constexpr double forever = std::numeric_limits<double>::infinity();

} // namespace

link_shaper::link_shaper(const config::bandwidth_spec& spec)
    : kind_(spec.kind), repeat_(spec.repeat), period_s_(spec.repeat_period_s),
      depth_bytes_(spec.burst_kb * 1024), latency_s_(spec.latency_ms / 1000) {
  if (kind_ == config::bandwidth_kind::fixed) steps_.push_back({0, spec.mbps});
  if (kind_ == config::bandwidth_kind::trace) steps_ = spec.trace;
  if (steps_.empty() || steps_[0].time_s > 0) steps_.insert(steps_.begin(), {0, 0});
  if (repeat_ && period_s_ <= steps_.back().time_s) repeat_ = false; // validated in config
  tokens_ = depth_bytes_;                                            // the bucket starts full
}

double link_shaper::rate_bytes_at(double t, double* step_end) const {
  double base = 0;
  double local = t;
  if (repeat_) {
    base = std::floor(t / period_s_) * period_s_;
    local = t - base;
    if (local >= period_s_) { // rounding at a period boundary
      base += period_s_;
      local = 0;
    }
  }
  // The last step starting at or before `local`.
  size_t i = 0;
  while (i + 1 < steps_.size() && steps_[i + 1].time_s <= local) ++i;
  double end =
      i + 1 < steps_.size() ? base + steps_[i + 1].time_s : (repeat_ ? base + period_s_ : forever);
  // Never return an empty step, or the walkers below would not advance.
  if (!(end > t)) end = std::nextafter(t, forever);
  *step_end = end;
  return steps_[i].mbps * bytes_per_mbit;
}

double link_shaper::rate_mbps_at(double t_s) const {
  if (unlimited()) return -1;
  double end = 0;
  return rate_bytes_at(t_s, &end) / bytes_per_mbit;
}

double link_shaper::bytes_between(double t0, double t1) const {
  double bytes = 0;
  double t = t0;
  while (t < t1) {
    double end = 0;
    double rate = rate_bytes_at(t, &end);
    double stop = std::min(end, t1);
    bytes += rate * (stop - t);
    t = stop;
  }
  return bytes;
}

double link_shaper::time_to_send(double t0, double bytes) const {
  double t = t0;
  double remaining = bytes;
  while (remaining > 0) {
    double end = 0;
    double rate = rate_bytes_at(t, &end);
    if (rate > 0) {
      double done = t + remaining / rate;
      if (done <= end) return done;
      remaining -= rate * (end - t);
    } else if (end == forever) {
      return forever; // a trace that ends in an outage: the frame never leaves
    }
    t = end;
  }
  return t;
}

double link_shaper::hold_s(size_t bytes, double now_s) {
  if (unlimited()) return latency_s_;
  now_s = std::max(now_s, last_offer_s_);
  last_offer_s_ = now_s;
  // The frame can start once the previous one has left; while the link was
  // idle the bucket refilled up to its depth.
  double start = std::max(now_s, last_departure_s_);
  double tokens = std::min(depth_bytes_, tokens_ + bytes_between(last_departure_s_, start));
  double size = double(bytes);
  double departure = start;
  if (tokens >= size) {
    tokens -= size;
  } else {
    departure = time_to_send(start, size - tokens);
    tokens = 0;
  }
  tokens_ = tokens;
  last_departure_s_ = departure;
  return departure - now_s + latency_s_;
}

int64_t link_shaper::hold_ns(size_t bytes, double now_s) {
  double hold = hold_s(bytes, now_s);
  if (!(hold < max_hold_s)) hold = max_hold_s; // also NaN
  if (!(hold > 0)) hold = 0;
  return static_cast<int64_t>(std::llround(hold * 1e9));
}

} // namespace edgepipe::actors
