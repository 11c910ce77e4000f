// TEMPORARY stand-in until the real estimator lands (same interface).
#pragma once
#include <cstdint>
namespace edgepipe::runtime {
struct transfer_sample {
  uint64_t bytes = 0;
  int64_t offered_ns = 0;
  int64_t ack_ns = 0;
  bool link_busy = false;
};
struct link_estimate {
  double mbps = 0, confidence = 0, latency_ms = 0;
  bool lower_bound = true;
  uint64_t samples = 0;
};
class link_estimator {
public:
  void add(const transfer_sample& s) {
    int64_t begin = s.offered_ns > last_ack_ ? s.offered_ns : last_ack_;
    last_ack_ = s.ack_ns;
    double secs = (s.ack_ns - begin) / 1e9;
    if (secs <= 0) return;
    double m = s.bytes * 8 / secs / 1e6;
    e_.mbps = e_.samples ? e_.mbps + 0.25 * (m - e_.mbps) : m;
    ++e_.samples;
    e_.lower_bound = !s.link_busy;
  }
  link_estimate current(int64_t) const { return e_; }
private:
  link_estimate e_;
  int64_t last_ack_ = 0;
};
} // namespace edgepipe::runtime
