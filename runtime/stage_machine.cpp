#include "runtime/stage_machine.hpp"

#include <algorithm>

namespace edgepipe::runtime {

stage_machine::stage_machine(uint64_t epoch, int first, int last, int max_handed, int worker_depth)
    : epoch_(epoch), first_(first), last_(last), max_handed_(std::max(1, max_handed)),
      worker_depth_(std::max(1, worker_depth)) {}

bool stage_machine::on_frame(stage_frame f) {
  if (f.epoch != epoch_) {
    ++c_.dropped_stale;
    return false;
  }
  ++c_.accepted;
  queue_.push_back(std::move(f));
  return true;
}

std::optional<stage_frame> stage_machine::next_to_compute(int64_t now_ns) {
  if (int(handed_over_ns_.size()) >= worker_depth_ || queue_.empty() || handed_ >= max_handed_)
    return std::nullopt;
  stage_frame f = std::move(queue_.front());
  queue_.pop_front();
  if (handed_over_ns_.empty()) busy_from_ns_ = now_ns;
  handed_over_ns_.push_back(now_ns);
  if (busy_mark_ns_ < 0) busy_mark_ns_ = now_ns;
  return f;
}

// The worker's oldest frame is back; its busy stretch ends when it holds none.
void stage_machine::frame_back(int64_t now_ns) {
  handed_over_ns_.pop_front();
  last_back_ns_ = now_ns;
  if (handed_over_ns_.empty())
    busy_ns_since_mark_ += now_ns - std::max(busy_from_ns_, busy_mark_ns_);
}

void stage_machine::on_computed(int64_t now_ns, int64_t compute_ns) {
  if (handed_over_ns_.empty()) return;
  if (compute_ns < 0) compute_ns = now_ns - std::max(handed_over_ns_.front(), last_back_ns_);
  frame_back(now_ns);
  ++handed_;
  ++c_.computed;
  c_.compute_ns += compute_ns;
  double ms = compute_ns / 1e6;
  // Weight 1/4: a step change shows as 90% of itself after 8 microbatches.
  recent_ms_ = c_.computed == 1 ? ms : recent_ms_ + 0.25 * (ms - recent_ms_);
}

void stage_machine::on_failed(int64_t now_ns) {
  if (handed_over_ns_.empty()) return;
  frame_back(now_ns);
  ++c_.failed;
}

void stage_machine::on_taken() {
  if (handed_ > 0) --handed_;
}

double stage_machine::busy_since_last(int64_t now_ns) {
  if (busy_mark_ns_ < 0) {
    busy_mark_ns_ = now_ns;
    return 0;
  }
  int64_t busy = busy_ns_since_mark_;
  // Frames still at the worker count up to now.
  if (!handed_over_ns_.empty()) busy += now_ns - std::max(busy_from_ns_, busy_mark_ns_);
  int64_t wall = now_ns - busy_mark_ns_;
  busy_mark_ns_ = now_ns;
  busy_ns_since_mark_ = 0;
  if (wall <= 0) return 0;
  return std::min(1.0, static_cast<double>(busy) / static_cast<double>(wall));
}

double stage_machine::ms_per_microbatch() const {
  return c_.computed ? c_.compute_ns / 1e6 / static_cast<double>(c_.computed) : 0;
}

} // namespace edgepipe::runtime
