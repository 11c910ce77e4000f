// source_window: the source's side of exactly-once delivery. It hands out
// microbatch numbers to send, at most `max_outstanding` of them between the
// source and the sink at once (credits end to end, so nothing grows without
// bound while a link is slow), and remembers every one the sink has not
// answered: that set is the replay buffer. A new plan (epoch) or a stage's
// report that it could not compute a microbatch puts them back in line;
// replays go before new microbatches, lowest number first, so the sink's
// reorder buffer stays small.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace edgepipe::runtime {

class source_window {
public:
  // `requests` microbatches numbered 0..requests-1.
  source_window(uint64_t requests, int max_outstanding, uint64_t epoch = 1);

  // The next microbatch to send now, or nothing (all sent, or the window is
  // full). It counts as outstanding from here until on_answered.
  std::optional<uint64_t> next_to_send();

  // The sink has it (delivered or buffered in order): it leaves the replay
  // buffer. Unknown or repeated numbers are ignored.
  void on_answered(uint64_t seq);

  // A new plan: every outstanding microbatch is sent again, under `epoch`.
  // Returns how many were put back in line.
  size_t switch_epoch(uint64_t epoch);

  // A stage could not compute `seq` (a bad frame, an error): send it again.
  // Returns false once it has failed `max_attempts` times: it is given up
  // and counted in given_up().
  bool retry(uint64_t seq, int max_attempts);

  uint64_t epoch() const { return epoch_; }
  uint64_t requests() const { return requests_; }
  size_t outstanding() const { return outstanding_.size(); }
  size_t queued_replays() const { return replay_.size(); }
  uint64_t answered() const { return answered_; }
  uint64_t replayed() const { return replayed_; } // sends that were replays
  const std::vector<uint64_t>& given_up() const { return given_up_; }
  // Every microbatch answered or given up: nothing more will be sent.
  bool finished() const { return answered_ + given_up_.size() >= requests_; }
  // The microbatches not answered yet (outstanding or never sent), in order.
  std::vector<uint64_t> unanswered() const;

private:
  uint64_t requests_;
  size_t max_outstanding_;
  uint64_t epoch_;
  uint64_t next_new_ = 0;
  std::set<uint64_t> outstanding_; // sent, not answered
  std::set<uint64_t> replay_;      // outstanding, waiting to be sent again
  std::map<uint64_t, int> failures_;
  std::vector<uint8_t> answered_flag_;
  uint64_t answered_ = 0;
  uint64_t replayed_ = 0;
  std::vector<uint64_t> given_up_;
};

} // namespace edgepipe::runtime
