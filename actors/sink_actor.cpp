#include "actors/sink_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"
#include "codecs/codec.hpp"

namespace edgepipe::actors {

run_record::run_record(uint64_t requests, int microbatch, std::vector<int> labels,
                       bool keep_outputs)
    : requests_(requests), microbatch_(microbatch < 1 ? 1 : microbatch), labels_(std::move(labels)),
      keep_outputs_(keep_outputs), seen_(requests, 0) {
  s_.requests = requests;
  if (keep_outputs_) outputs_.resize(requests);
  predictions_.assign(requests * microbatch_, -1);
}

void run_record::started(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (start_ns_ == 0) start_ns_ = now_ns;
}

void run_record::book_failure(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  fprintf(stderr, "edgepipe sink: microbatch %llu arrived malformed\n",
          static_cast<unsigned long long>(seq));
}

void run_record::book(uint64_t seq, const ops::tensor& logits, int64_t origin_ns, int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (seq >= requests_) {
    ++s_.duplicates; // nobody asked for it: count it with the duplicates
    return;
  }
  if (seen_[seq]) {
    ++s_.duplicates;
    return;
  }
  seen_[seq] = 1;
  if (any_ && seq < max_seq_seen_) ++s_.out_of_order;
  max_seq_seen_ = std::max(max_seq_seen_, seq);
  any_ = true;
  ++s_.answered;
  last_ns_ = now_ns;
  if (first_arrival_ns_ == 0) {
    first_arrival_ns_ = now_ns;
    first_images_ = logits.shape.empty() ? 0 : logits.shape[0];
  }
  if (start_ns_ == 0 || origin_ns < start_ns_) start_ns_ = origin_ns;
  latencies_ms_.push_back((now_ns - origin_ns) / 1e6);
  int64_t rows = logits.shape.empty() ? 0 : logits.shape[0];
  int64_t classes = rows ? logits.numel() / rows : 0;
  s_.images += rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits.data.data() + r * classes;
    int best = static_cast<int>(std::max_element(row, row + classes) - row);
    uint64_t image = seq * microbatch_ + r;
    if (image < predictions_.size()) predictions_[image] = best;
    if (image < labels_.size()) {
      ++s_.labeled;
      if (labels_[image] == best) ++s_.correct;
    }
  }
  if (keep_outputs_) outputs_[seq] = logits;
}

run_summary run_record::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  run_summary s = s_;
  s.lost = s.requests - s.answered;
  s.accuracy = s.labeled ? static_cast<double>(s.correct) / s.labeled : -1;
  s.elapsed_s = any_ ? (last_ns_ - start_ns_) / 1e9 : 0;
  s.images_per_s = s.elapsed_s > 0 ? s.images / s.elapsed_s : 0;
  double steady_s = (last_ns_ - first_arrival_ns_) / 1e9;
  s.steady_images_per_s = steady_s > 0 ? (s.images - first_images_) / steady_s : 0;
  if (!latencies_ms_.empty()) {
    std::vector<double> sorted = latencies_ms_;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double p) {
      size_t i = static_cast<size_t>(p * (sorted.size() - 1) + 0.5);
      return sorted[std::min(i, sorted.size() - 1)];
    };
    s.latency_p50_ms = pct(0.50);
    s.latency_p99_ms = pct(0.99);
  }
  return s;
}

std::vector<ops::tensor> run_record::outputs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outputs_;
}

std::vector<int> run_record::predictions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return predictions_;
}

namespace {

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct sink_state {
  caf::actor notify;
  static inline const char* name = "edgepipe.sink";
};

caf::behavior sink_actor(caf::stateful_actor<sink_state>* self,
                         std::shared_ptr<run_record> record) {
  return {
      [=](caf::put_atom, caf::actor& notify) { self->state.notify = std::move(notify); },
      [=](frame_msg& in) {
        int64_t now = steady_now_ns();
        if (auto& from = self->current_sender()) {
          auto sender = caf::actor_cast<caf::actor>(from);
          self->send(sender, ack_atom::value, in.link, in.seq);
          self->send(sender, credit_atom::value, in.link, in.seq);
        }
        auto frame = codecs::decode(in.main.data(), in.main.size());
        if (!frame) {
          record->book_failure(in.seq);
          return;
        }
        ops::tensor logits;
        logits.shape = std::move(frame->shape);
        logits.data = std::move(frame->data);
        record->book(in.seq, logits, in.origin_ns, now);
        if (self->state.notify)
          self->send(self->state.notify, credit_atom::value, uint32_t(-1), in.seq);
      },
  };
}

} // namespace

caf::actor spawn_sink(caf::actor_system& sys, std::shared_ptr<run_record> record) {
  return sys.spawn(sink_actor, std::move(record));
}

void set_sink_notify(const caf::actor& sink, const caf::actor& notify) {
  caf::anon_send(sink, caf::put_atom::value, notify);
}

} // namespace edgepipe::actors
