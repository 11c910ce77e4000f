// The source's replay buffer and the sink's reorder buffer together give
// exactly-once, in-order delivery across re-plans: these tests drive both
// through the events a run produces (sends, arrivals, epoch switches, stage
// failures) in adversarial orders, with no actors and no clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>

#include "runtime/sink_reorder.hpp"
#include "runtime/source_window.hpp"

using namespace edgepipe::runtime;

namespace {

sink_result result(uint64_t seq) {
  sink_result r;
  r.seq = seq;
  r.output.shape = {1};
  r.output.data = {static_cast<float>(seq)};
  return r;
}

std::vector<uint64_t> drain(sink_reorder& sink) {
  std::vector<uint64_t> out;
  for (auto& r : sink.take_ready()) out.push_back(r.seq);
  return out;
}

} // namespace

TEST(SourceWindow, NeverHasMoreThanTheWindowOutstanding) {
  source_window src(10, 3);
  EXPECT_EQ(src.next_to_send(), 0u);
  EXPECT_EQ(src.next_to_send(), 1u);
  EXPECT_EQ(src.next_to_send(), 2u);
  EXPECT_FALSE(src.next_to_send().has_value());
  src.on_answered(1);
  EXPECT_EQ(src.next_to_send(), 3u);
  EXPECT_FALSE(src.next_to_send().has_value());
  EXPECT_EQ(src.outstanding(), 3u);
}

TEST(SourceWindow, SwitchReplaysEveryOutstandingMicrobatchFirstAndInOrder) {
  source_window src(10, 4);
  for (int i = 0; i < 4; ++i) src.next_to_send();
  src.on_answered(0);
  src.on_answered(2);
  EXPECT_EQ(src.switch_epoch(2), 2u); // 1 and 3 were in flight
  EXPECT_EQ(src.epoch(), 2u);
  EXPECT_EQ(src.next_to_send(), 1u);
  EXPECT_EQ(src.next_to_send(), 3u);
  EXPECT_EQ(src.next_to_send(), 4u); // then new ones, window 4: 1, 3, 4, 5
  EXPECT_EQ(src.next_to_send(), 5u);
  EXPECT_FALSE(src.next_to_send().has_value());
  EXPECT_EQ(src.replayed(), 2u);
}

TEST(SourceWindow, AnAnswerThatArrivesAfterTheSwitchCancelsItsReplay) {
  source_window src(4, 4);
  for (int i = 0; i < 3; ++i) src.next_to_send();
  src.switch_epoch(2);
  src.on_answered(1); // it was already at the sink
  EXPECT_EQ(src.next_to_send(), 0u);
  EXPECT_EQ(src.next_to_send(), 2u);
  EXPECT_EQ(src.next_to_send(), 3u);
}

TEST(SourceWindow, RetryGivesUpAfterMaxAttempts) {
  source_window src(3, 3);
  for (int i = 0; i < 3; ++i) src.next_to_send();
  EXPECT_TRUE(src.retry(1, 2));
  EXPECT_EQ(src.next_to_send(), 1u);
  EXPECT_FALSE(src.retry(1, 2));
  ASSERT_EQ(src.given_up().size(), 1u);
  EXPECT_EQ(src.given_up()[0], 1u);
  src.on_answered(0);
  src.on_answered(2);
  EXPECT_TRUE(src.finished());
  EXPECT_EQ(src.unanswered(), std::vector<uint64_t>{1});
}

TEST(SinkReorder, DeliversInOrderHoldingEarlyArrivals) {
  sink_reorder sink(5);
  EXPECT_EQ(sink.on_arrival(1, result(2)), arrival::accepted);
  EXPECT_EQ(sink.on_arrival(1, result(1)), arrival::accepted);
  EXPECT_TRUE(drain(sink).empty());
  EXPECT_EQ(sink.held(), 2u);
  EXPECT_EQ(sink.on_arrival(1, result(0)), arrival::accepted);
  EXPECT_EQ(drain(sink), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(sink.next_expected(), 3u);
}

TEST(SinkReorder, DropsDuplicatesStaleEpochsAndUnknownNumbers) {
  sink_reorder sink(3);
  EXPECT_EQ(sink.on_arrival(1, result(0)), arrival::accepted);
  EXPECT_EQ(sink.on_arrival(1, result(0)), arrival::duplicate);
  sink.set_epoch(2);
  EXPECT_EQ(sink.on_arrival(1, result(1)), arrival::stale_epoch);
  EXPECT_EQ(sink.on_arrival(2, result(1)), arrival::accepted);
  EXPECT_EQ(sink.on_arrival(3, result(7)), arrival::unknown_seq);
  EXPECT_EQ(sink.duplicates(), 1u);
  EXPECT_EQ(sink.stale(), 1u);
  EXPECT_EQ(drain(sink), (std::vector<uint64_t>{0, 1}));
}

TEST(SinkReorder, SteppingOverAGivenUpMicrobatchReleasesTheOnesBehindIt) {
  sink_reorder sink(3);
  sink.on_arrival(1, result(2));
  sink.on_arrival(1, result(0));
  EXPECT_EQ(drain(sink), std::vector<uint64_t>{0});
  sink.skip(1);
  EXPECT_EQ(drain(sink), std::vector<uint64_t>{2});
  EXPECT_TRUE(sink.finished());
}

// A whole run as events: stages in flight deliver in random order, some
// results are lost with the old plan, re-plans happen at random moments, a
// stage fails now and then. Every request must come out exactly once, in
// order, for every seed.
TEST(SourceAndSink, ExactlyOnceInOrderAcrossRandomReplansAndFailures) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t requests = 60;
    source_window src(requests, 6);
    sink_reorder sink(requests);
    struct in_flight {
      uint64_t epoch, seq;
    };
    std::vector<in_flight> pipe; // sent, not yet arrived (any order)
    std::vector<uint64_t> delivered;
    uint64_t epoch = 1;
    for (int step = 0; step < 100000 && !(src.finished() && sink.finished()); ++step) {
      int what = static_cast<int>(rng() % 100);
      if (what < 40) {
        if (auto s = src.next_to_send()) pipe.push_back({src.epoch(), *s});
      } else if (what < 85 && !pipe.empty()) {
        size_t i = rng() % pipe.size();
        in_flight f = pipe[i];
        pipe.erase(pipe.begin() + static_cast<long>(i));
        if (rng() % 25 == 0) {
          // The stage could not compute it.
          if (!src.retry(f.seq, 3)) sink.skip(f.seq);
          continue;
        }
        if (sink.on_arrival(f.epoch, result(f.seq)) == arrival::accepted) src.on_answered(f.seq);
        for (uint64_t s : drain(sink)) delivered.push_back(s);
      } else if (what < 87) {
        // Re-plan: the old stages are retired, some of their frames are lost.
        ++epoch;
        sink.set_epoch(epoch);
        src.switch_epoch(epoch);
        pipe.erase(std::remove_if(pipe.begin(), pipe.end(),
                                  [&](const in_flight&) { return rng() % 2 == 0; }),
                   pipe.end());
      }
    }
    ASSERT_TRUE(src.finished() && sink.finished()) << "seed " << seed;
    std::vector<uint64_t> expected;
    for (uint64_t s = 0; s < requests; ++s)
      if (std::find(src.given_up().begin(), src.given_up().end(), s) == src.given_up().end())
        expected.push_back(s);
    ASSERT_EQ(delivered, expected) << "seed " << seed;
  }
}
