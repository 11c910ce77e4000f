#include "runtime/sink_reorder.hpp"

namespace edgepipe::runtime {

sink_reorder::sink_reorder(uint64_t requests, uint64_t epoch)
    : requests_(requests), epoch_(epoch), seen_(requests, 0) {}

arrival sink_reorder::on_arrival(uint64_t epoch, sink_result r) {
  if (r.seq >= requests_) return arrival::unknown_seq;
  if (epoch < epoch_) {
    // Computed by stages of a plan that has been replaced: the microbatch
    // is (or will be) replayed through the new plan.
    ++stale_;
    return arrival::stale_epoch;
  }
  if (seen_[r.seq]) {
    ++duplicates_;
    return arrival::duplicate;
  }
  seen_[r.seq] = 1;
  held_.emplace(r.seq, std::move(r));
  advance();
  return arrival::accepted;
}

void sink_reorder::skip(uint64_t seq) {
  if (seq >= requests_ || seen_[seq]) return;
  seen_[seq] = 1;
  advance();
}

void sink_reorder::advance() {
  while (next_ < requests_ && seen_[next_]) {
    auto it = held_.find(next_);
    if (it != held_.end()) {
      ready_.push_back(std::move(it->second));
      held_.erase(it);
      ++delivered_;
    }
    ++next_;
  }
}

std::vector<sink_result> sink_reorder::take_ready() {
  std::vector<sink_result> out;
  out.swap(ready_);
  return out;
}

} // namespace edgepipe::runtime
