#include "runtime/run_tally.hpp"

#include <algorithm>

namespace edgepipe::runtime {

namespace {
// The progress line's rate covers this much of the recent past.
constexpr int64_t recent_window_ns = 3'000'000'000;
} // namespace

run_tally::run_tally(uint64_t requests, int microbatch, std::vector<int> labels, bool keep_outputs)
    : requests_(requests), microbatch_(microbatch < 1 ? 1 : microbatch), labels_(std::move(labels)),
      keep_outputs_(keep_outputs) {
  s_.requests = requests;
  if (keep_outputs_) outputs_.resize(requests);
  predictions_.assign(requests * microbatch_, -1);
}

void run_tally::started(int64_t now_ns) {
  if (start_ns_ < 0) start_ns_ = now_ns;
}

void run_tally::book(uint64_t seq, const ops::tensor& logits, int64_t origin_ns, int64_t now_ns) {
  if (seq >= requests_) return;
  ++s_.answered;
  last_ns_ = now_ns;
  if (start_ns_ < 0 || origin_ns < start_ns_) start_ns_ = origin_ns;
  latencies_ms_.push_back((now_ns - origin_ns) / 1e6);
  int64_t rows = logits.shape.empty() ? 0 : logits.shape[0];
  int64_t classes = rows ? logits.numel() / rows : 0;
  s_.images += rows;
  recent_.emplace_back(now_ns, rows);
  while (!recent_.empty() && recent_.front().first < now_ns - recent_window_ns) recent_.pop_front();
  for (int64_t r = 0; r < rows && classes > 0; ++r) {
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

run_summary run_tally::summary(int64_t now_ns) const {
  run_summary s = s_;
  s.lost = s.requests - s.answered;
  s.accuracy = s.labeled ? static_cast<double>(s.correct) / s.labeled : -1;
  s.elapsed_s = s.answered && start_ns_ >= 0 ? (last_ns_ - start_ns_) / 1e9 : 0;
  s.images_per_s = s.elapsed_s > 0 ? s.images / s.elapsed_s : 0;
  // Images delivered in the window ending now, over the window (or the time
  // since the start when the run is younger than the window).
  int64_t from = std::max(now_ns - recent_window_ns, start_ns_ < 0 ? now_ns : start_ns_);
  uint64_t images = 0;
  for (const auto& [t, n] : recent_)
    if (t >= from) images += n;
  s.recent_images_per_s = now_ns > from ? images / ((now_ns - from) / 1e9) : 0;
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

} // namespace edgepipe::runtime
