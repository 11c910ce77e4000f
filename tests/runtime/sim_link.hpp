// sim_link: a tiny, deterministic model of one link for the estimator and
// bit-controller tests. A source makes a frame every period; the sender keeps
// at most `window` frames without a credit back (the credit comes with the ack,
// or later when a slow receiver takes frames at its own pace);
// the link is serial with a capacity that may change over time, and adds a
// fixed latency (like the emulated link's shaper: once, the ack returns
// instantly). Optional multiplicative noise on each frame's wire time.
//
//   offer_n  = max(n * period, credit_{n-window})
//   depart_n = max(offer_n, depart_{n-1}) + bytes_n * 8 / C(start) * noise_n
//   ack_n    = depart_n + latency
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <vector>

#include "runtime/link_estimator.hpp"

namespace edgepipe::runtime::test {

struct sim_config {
  double latency_s = 0;
  int window = 4;
  double period_s = 0.02;
  double noise = 0; // wire time scaled by a uniform factor in [1 - noise, 1 + noise]
  // 0: the credit comes back with the ack. Else the receiver takes one frame
  // per receiver_period_s (after its arrival) and returns the credit then: a
  // slow receiver throttles the sender, the link itself is not the limit.
  double receiver_period_s = 0;
  uint32_t seed = 1;
  std::function<double(double t_s)> mbps_at = [](double) { return 100.0; };
};

inline int64_t to_ns(double s) {
  return int64_t(s * 1e9 + 0.5);
}

class sim_link {
public:
  explicit sim_link(sim_config c) : c_(std::move(c)), rng_(c_.seed) {}

  // Runs `frames` frames. bytes_at(now_ns) sizes the next frame when it is
  // offered; on_ack(sample) is called for every ack, in time order, before any
  // frame offered at or after that ack is sized.
  void run(int frames, const std::function<uint64_t(int64_t)>& bytes_at,
           const std::function<void(const transfer_sample&)>& on_ack) {
    std::uniform_real_distribution<double> noise(1 - c_.noise, 1 + c_.noise);
    for (int i = 0; i < frames; ++i, ++n_) {
      int64_t ready = to_ns(double(n_) * c_.period_s);
      int64_t credit =
          int64_t(credits_.size()) >= c_.window ? credits_[credits_.size() - size_t(c_.window)] : 0;
      int64_t offer = std::max(ready, credit);
      deliver_until(offer, on_ack);
      uint64_t bytes = bytes_at(offer);
      int64_t start = std::max(offer, last_departure_);
      double wire_s = double(bytes) * 8 / (c_.mbps_at(start / 1e9) * 1e6);
      if (c_.noise > 0) wire_s *= noise(rng_);
      last_departure_ = start + to_ns(wire_s);
      int64_t ack = last_departure_ + to_ns(c_.latency_s);
      acks_.push_back(ack);
      int64_t taken = ack;
      if (c_.receiver_period_s > 0 && !credits_.empty())
        taken = std::max(ack, credits_.back() + to_ns(c_.receiver_period_s));
      credits_.push_back(taken);
      pending_.push_back(transfer_sample{bytes, offer, ack, 0});
    }
  }

  // Delivers every outstanding ack (the end of a run).
  void drain(const std::function<void(const transfer_sample&)>& on_ack) {
    deliver_until(INT64_MAX, on_ack);
  }

  int64_t last_ack_ns() const { return acks_.empty() ? 0 : acks_.back(); }
  int64_t frames_sent() const { return n_; }

private:
  void deliver_until(int64_t t, const std::function<void(const transfer_sample&)>& on_ack) {
    while (!pending_.empty() && pending_.front().ack_ns <= t) {
      on_ack(pending_.front());
      pending_.pop_front();
    }
  }

  sim_config c_;
  std::mt19937 rng_;
  int64_t n_ = 0;
  int64_t last_departure_ = 0;
  std::vector<int64_t> acks_;
  std::vector<int64_t> credits_; // when each frame's credit came back
  std::deque<transfer_sample> pending_;
};

} // namespace edgepipe::runtime::test
