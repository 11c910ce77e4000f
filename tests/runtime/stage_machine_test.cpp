// A stage accepts only its own epoch's frames, computes one at a time while
// its encoder has room, and accounts its busy time from injected clock values.
#include <gtest/gtest.h>

#include "runtime/stage_machine.hpp"

using namespace edgepipe::runtime;

namespace {
stage_frame frame(uint64_t epoch, uint64_t seq) {
  stage_frame f;
  f.epoch = epoch;
  f.seq = seq;
  return f;
}
} // namespace

TEST(StageMachine, DropsFramesOfAnyOtherEpoch) {
  stage_machine st(3, 1, 4);
  EXPECT_FALSE(st.on_frame(frame(2, 0)));
  EXPECT_FALSE(st.on_frame(frame(4, 1)));
  EXPECT_TRUE(st.on_frame(frame(3, 2)));
  EXPECT_EQ(st.counters().dropped_stale, 2u);
  EXPECT_EQ(st.queued(), 1u);
  auto next = st.next_to_compute(0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, 2u);
}

TEST(StageMachine, ComputesOneAtATimeAndOnlyWhileTheEncoderHasRoom) {
  stage_machine st(1, 1, 4, /*max_handed=*/2);
  for (uint64_t s = 0; s < 4; ++s) st.on_frame(frame(1, s));
  ASSERT_TRUE(st.next_to_compute(0));
  EXPECT_FALSE(st.next_to_compute(0)); // still computing
  st.on_computed(10);
  ASSERT_TRUE(st.next_to_compute(10));
  st.on_computed(20);
  EXPECT_FALSE(st.next_to_compute(20)); // two results untaken
  st.on_taken();
  auto third = st.next_to_compute(20);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->seq, 2u);
}

TEST(StageMachine, AFailedFrameFreesTheStageWithoutAResult) {
  stage_machine st(1, 1, 4, 1);
  st.on_frame(frame(1, 0));
  st.on_frame(frame(1, 1));
  ASSERT_TRUE(st.next_to_compute(0));
  st.on_failed(5);
  auto next = st.next_to_compute(5);
  ASSERT_TRUE(next); // nothing was handed, so the encoder still has room
  EXPECT_EQ(next->seq, 1u);
  EXPECT_EQ(st.counters().failed, 1u);
  EXPECT_EQ(st.counters().computed, 0u);
}

TEST(StageMachine, BusyFractionAndTimesComeFromTheInjectedClock) {
  stage_machine st(1, 1, 4, 8);
  EXPECT_EQ(st.busy_since_last(0), 0.0);
  for (uint64_t s = 0; s < 3; ++s) st.on_frame(frame(1, s));
  st.next_to_compute(100);
  st.on_computed(400); // 300 busy
  st.next_to_compute(600);
  // Half of a window [0, 1000] was busy, counting the running one up to 1000.
  EXPECT_DOUBLE_EQ(st.busy_since_last(1000), 0.7);
  st.on_computed(1200); // 200 more in the new window [1000, 2000]
  EXPECT_DOUBLE_EQ(st.busy_since_last(2000), 0.2);
  EXPECT_DOUBLE_EQ(st.ms_per_microbatch(), (300 + 600) / 2 / 1e6);
}

TEST(StageMachine, RecentTimeFollowsASlowdown) {
  stage_machine st(1, 1, 4, 100);
  int64_t t = 0;
  for (uint64_t s = 0; s < 40; ++s) {
    st.on_frame(frame(1, s));
    st.next_to_compute(t);
    t += s < 20 ? 1'000'000 : 4'000'000; // 1 ms, then 4 ms per microbatch
    st.on_computed(t);
  }
  EXPECT_NEAR(st.recent_ms_per_microbatch(), 4.0, 0.01);
  EXPECT_NEAR(st.ms_per_microbatch(), 2.5, 1e-9);
}

TEST(StageMachine, ComputeTimeIsTheWorkersWhileBusyCountsTheRoundTrip) {
  stage_machine st(1, 1, 4, 8);
  EXPECT_EQ(st.busy_since_last(0), 0.0);
  st.on_frame(frame(1, 0));
  st.next_to_compute(100);
  // The worker computed for 300 of the 800 the hand-over round trip took.
  st.on_computed(900, 300);
  EXPECT_DOUBLE_EQ(st.ms_per_microbatch(), 300 / 1e6);
  EXPECT_DOUBLE_EQ(st.recent_ms_per_microbatch(), 300 / 1e6);
  EXPECT_DOUBLE_EQ(st.busy_since_last(1000), 0.8);
}

TEST(StageMachine, WithDepthTwoTheWorkerHoldsTheNextFrameWhileItComputes) {
  stage_machine st(1, 1, 4, /*max_handed=*/8, /*worker_depth=*/2);
  for (uint64_t s = 0; s < 4; ++s) st.on_frame(frame(1, s));
  ASSERT_TRUE(st.next_to_compute(0));
  ASSERT_TRUE(st.next_to_compute(0));  // waits in the worker's mailbox
  EXPECT_FALSE(st.next_to_compute(0)); // two at the worker
  EXPECT_TRUE(st.computing());
  // Unknown compute times: the first from its hand-over, the second from
  // when the first came back (it could not start before).
  st.on_computed(10);
  st.on_computed(25);
  EXPECT_DOUBLE_EQ(st.ms_per_microbatch(), (10 + 15) / 2.0 / 1e6);
  EXPECT_FALSE(st.computing());
  auto third = st.next_to_compute(30);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->seq, 2u);
  // Busy from 0 to 25 (the worker never ran dry), then from 30.
  EXPECT_DOUBLE_EQ(st.busy_since_last(40), 35.0 / 40.0);
}
