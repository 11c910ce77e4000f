#include "runtime/link_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace edgepipe::runtime {

link_estimator::link_estimator(estimator_options options) : opt_(options) {
  opt_.window = std::max(opt_.window, 4);
  opt_.full_confidence_samples = std::max(opt_.full_confidence_samples, 1);
  opt_.latency_window = std::max(opt_.latency_window, 1);
  if (opt_.stale_ns <= 0) opt_.stale_ns = 1;
}

// Time-weighted: total bytes over total time, so a slow frame counts for the
// time it held the link (the mean of per-frame rates would overweight fast ones).
double link_estimator::mbps_of(const std::deque<reading>& w) {
  double bytes = 0, seconds = 0;
  for (const reading& r : w) bytes += r.bytes, seconds += r.seconds;
  return seconds > 0 ? bytes * 8 / seconds / 1e6 : 0;
}

void link_estimator::push(std::deque<reading>& w, reading r) {
  w.push_back(r);
  while (int(w.size()) > opt_.window) w.pop_front();
  // A step change (a trace dropping from 1000 to 20 Mbit/s) would take a
  // whole window to show through the average. When the last three readings
  // all lie on the same side of the older ones' average, far off, keep only
  // them: the link changed, the old readings describe another link.
  const size_t recent = 3;
  if (w.size() < recent + 2) return;
  std::deque<reading> older(w.begin(), w.end() - recent);
  double base = mbps_of(older);
  if (base <= 0) return;
  int above = 0, below = 0;
  for (size_t i = w.size() - recent; i < w.size(); ++i) {
    double rate = w[i].bytes * 8 / w[i].seconds / 1e6;
    if (rate > base * (1 + opt_.jump)) ++above;
    if (rate < base * (1 - opt_.jump)) ++below;
  }
  if (above == int(recent) || below == int(recent)) w.erase(w.begin(), w.end() - recent);
}

void link_estimator::note_latency(double seconds) {
  latency_candidates_.push_back(std::max(0.0, seconds));
  while (int(latency_candidates_.size()) > opt_.latency_window) latency_candidates_.pop_front();
}

// The smallest overhead left after the wire time: the true round trip is at
// least every reading's (overhead = wait + wire + R), so the minimum is a
// lower bound of R as long as the wire time used is not underestimated.
double link_estimator::latency_s() const {
  if (latency_candidates_.empty()) return 0;
  return *std::min_element(latency_candidates_.begin(), latency_candidates_.end());
}

void link_estimator::add_round_trip(int64_t rtt_ns) {
  if (rtt_ns >= 0) note_latency(rtt_ns / 1e9);
}

void link_estimator::add(const transfer_sample& s) {
  const int64_t ack = s.ack_ns - std::max<int64_t>(0, s.receiver_hold_ns);
  ++samples_;
  if (ack <= s.offered_ns || s.bytes == 0) return; // a clock glitch or an empty frame: no reading

  // When the frame could start crossing: after the latency, and not before
  // the previous frame's ack (the link carries one frame at a time).
  const int64_t latency_ns = std::llround(latency_s() * 1e9);
  const int64_t free_ns = s.offered_ns + latency_ns;
  const bool alone = !have_prev_ || prev_ack_ns_ <= s.offered_ns;
  int64_t start = free_ns;
  bool queued = false;
  if (have_prev_ && prev_ack_ns_ > free_ns) {
    start = prev_ack_ns_;
    // It waited for the previous frame beyond the latency: the link was busy,
    // the ack-to-ack gap is the frame's wire time. A wait shorter than a
    // fraction of the wire time is more likely the latency underestimated
    // (frames overlapping only in flight): counted as idle, a lower bound.
    double waited = (prev_ack_ns_ - free_ns) / 1e9;
    double gap = (ack - prev_ack_ns_) / 1e9;
    queued = waited > opt_.busy_guard * gap;
  }
  prev_ack_ns_ = have_prev_ ? std::max(prev_ack_ns_, ack) : ack;
  have_prev_ = true;

  const double wire_s = (ack - start) / 1e9;
  const double bytes = double(s.bytes);
  if (wire_s > 0) {
    if (queued) {
      // Saturated again after a while idle: the old readings may describe
      // another link (a trace moved on). Back-to-back saturated readings are
      // kept however far apart: on a slow link one frame may take seconds.
      if (!idle_.empty() && ack - last_saturated_ns_ > opt_.restart_ns) saturated_.clear();
      push(saturated_, reading{bytes, wire_s});
      idle_.clear();
      last_saturated_ns_ = ack;
    } else {
      push(idle_, reading{bytes, wire_s});
      last_idle_ns_ = ack;
    }
  }

  // A latency reading: only from a frame offered after every earlier frame
  // was acknowledged (it cannot have waited behind one), overhead = wire + R.
  // The wire time needs a rate that is a lower bound of the capacity NOW, so
  // that the latency derived stays a lower bound of the true one: the
  // saturated figure while fresh (or the idle bound if higher: the link got
  // faster), else only the idle bound (an old saturated figure may be above
  // what the link carries today).
  const bool fresh = !saturated_.empty() && ack - last_saturated_ns_ <= opt_.restart_ns;
  const double idle_rate = idle_.size() >= 3 ? mbps_of(idle_) : 0.0;
  const double rate = fresh ? std::max(mbps_of(saturated_), idle_rate) : idle_rate;
  if (alone && rate > 0) {
    double overhead = (ack - s.offered_ns) / 1e9;
    note_latency(overhead - bytes * 8 / (rate * 1e6));
  }
}

link_estimate link_estimator::current(int64_t now_ns) const {
  link_estimate e;
  e.samples = samples_;
  e.latency_ms = latency_s() * 1e3;
  auto confidence = [&](size_t n, int64_t last_ns) {
    double amount = std::min(1.0, double(n) / opt_.full_confidence_samples);
    double age = double(std::max<int64_t>(0, now_ns - last_ns));
    return amount * std::exp(-age / double(opt_.stale_ns));
  };
  const double sat = mbps_of(saturated_);
  const double idle = mbps_of(idle_);
  // Idle readings newer than the last saturated one that exceed it prove the
  // link is faster now (a lower bound above the old figure); otherwise the
  // saturated figure stands, ageing.
  const bool idle_wins = idle_.size() >= 3 && idle > sat * (1 + opt_.supersede);
  if (!saturated_.empty() && !idle_wins) {
    e.mbps = sat;
    e.lower_bound = false;
    e.confidence = confidence(saturated_.size(), last_saturated_ns_);
  } else if (!idle_.empty()) {
    e.mbps = std::max(idle, sat);
    e.lower_bound = true;
    e.confidence = confidence(idle_.size(), last_idle_ns_);
  }
  return e;
}

} // namespace edgepipe::runtime
