#include "runtime/source_window.hpp"

#include <algorithm>

namespace edgepipe::runtime {

source_window::source_window(uint64_t requests, int max_outstanding, uint64_t epoch)
    : requests_(requests), max_outstanding_(static_cast<size_t>(std::max(1, max_outstanding))),
      epoch_(epoch), answered_flag_(requests, 0) {}

std::optional<uint64_t> source_window::next_to_send() {
  if (!replay_.empty()) {
    // Replays are already outstanding: they do not take more of the window.
    uint64_t seq = *replay_.begin();
    replay_.erase(replay_.begin());
    ++replayed_;
    return seq;
  }
  if (outstanding_.size() >= max_outstanding_ || next_new_ >= requests_) return std::nullopt;
  uint64_t seq = next_new_++;
  outstanding_.insert(seq);
  return seq;
}

void source_window::on_answered(uint64_t seq) {
  if (seq >= requests_ || answered_flag_[seq]) return;
  answered_flag_[seq] = 1;
  ++answered_;
  outstanding_.erase(seq);
  replay_.erase(seq);
  failures_.erase(seq);
}

size_t source_window::switch_epoch(uint64_t epoch) {
  epoch_ = epoch;
  // Whatever is in flight belongs to the old plan's stages, which are
  // retired: send it all again through the new ones.
  replay_.insert(outstanding_.begin(), outstanding_.end());
  return replay_.size();
}

bool source_window::retry(uint64_t seq, int max_attempts) {
  if (seq >= requests_ || answered_flag_[seq] || !outstanding_.count(seq)) return true;
  if (++failures_[seq] >= max_attempts) {
    outstanding_.erase(seq);
    replay_.erase(seq);
    failures_.erase(seq);
    given_up_.push_back(seq);
    return false;
  }
  replay_.insert(seq);
  return true;
}

std::vector<uint64_t> source_window::unanswered() const {
  std::vector<uint64_t> out;
  for (uint64_t s = 0; s < requests_; ++s)
    if (!answered_flag_[s]) out.push_back(s);
  return out;
}

} // namespace edgepipe::runtime
