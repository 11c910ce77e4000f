// link_estimator: driven by the simulated link of sim_link.hpp, whose true
// capacity and latency the tests know.
#include <gtest/gtest.h>

#include "runtime/bit_controller.hpp"
#include "runtime/link_estimator.hpp"
#include "sim_link.hpp"

namespace edgepipe::runtime {
namespace {

using test::sim_config;
using test::sim_link;
using test::to_ns;

// One ViT-Base activation (197 tokens x 768) at 16 bits: 302,636 bytes.
uint64_t vit_frame_bytes(int bits) {
  return frame_bytes_by_bits({{1, 197, 768}}, codecs::granularity::tensor)[size_t(bits)];
}

// Runs `frames` constant-size frames through the link into a fresh estimator.
link_estimator run_constant(const sim_config& c, int frames, uint64_t bytes) {
  link_estimator est;
  sim_link link(c);
  auto add = [&](const transfer_sample& s) { est.add(s); };
  link.run(
      frames, [&](int64_t) { return bytes; }, add);
  link.drain(add);
  return est;
}

TEST(LinkEstimator, SaturatedLinkReadsItsCapacityFreeOfLatency) {
  // 2.42 Mbit frames every 10 ms on a 100 Mbit/s link (24 ms each): the link
  // is the bottleneck, frames queue behind each other.
  for (double latency : {0.0, 0.002, 0.010}) {
    sim_config c;
    c.latency_s = latency;
    c.period_s = 0.010;
    c.mbps_at = [](double) { return 100.0; };
    link_estimator est = run_constant(c, 200, vit_frame_bytes(16));
    link_estimate e = est.current(to_ns(200 * 0.024));
    EXPECT_FALSE(e.lower_bound) << "latency " << latency;
    EXPECT_NEAR(e.mbps, 100.0, 0.1) << "latency " << latency; // only ns rounding
    EXPECT_GT(e.confidence, 0.9);
    EXPECT_EQ(e.samples, 200u);
  }
}

TEST(LinkEstimator, SaturatedLinkWithNoiseStaysWithinAFewPercent) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    sim_config c;
    c.latency_s = 0.002;
    c.period_s = 0.010;
    c.noise = 0.10;
    c.seed = seed;
    c.mbps_at = [](double) { return 100.0; };
    link_estimator est = run_constant(c, 300, vit_frame_bytes(16));
    link_estimate e = est.current(to_ns(300 * 0.024));
    EXPECT_FALSE(e.lower_bound);
    EXPECT_NEAR(e.mbps, 100.0, 5.0) << "seed " << seed;
  }
}

TEST(LinkEstimator, IdleLinkWithLatencyIsALowerBoundNotBelowTheNeed) {
  // The case: 200 Mbit/s with 2 ms latency and room to spare. 16-bit
  // frames take 12.1 ms on the wire, one every 20 ms, or every 13 ms (then a
  // frame is offered while the previous one is still in flight).
  for (double period : {0.020, 0.013}) {
    sim_config c;
    c.latency_s = 0.002;
    c.period_s = period;
    c.mbps_at = [](double) { return 200.0; };
    const uint64_t bytes = vit_frame_bytes(16);
    link_estimator est = run_constant(c, 500, bytes);
    link_estimate e = est.current(to_ns(500 * period));
    const double need = double(bytes) * 8 / period / 1e6; // Mbit/s to carry one frame per period
    EXPECT_TRUE(e.lower_bound) << "period " << period;
    EXPECT_GE(e.mbps, need * 0.999) << "period " << period;
    EXPECT_LE(e.mbps, 200.0 * 1.001) << "a lower bound above the capacity";
  }
}

TEST(LinkEstimator, RoundTripProbesMakeTheIdleBoundTight) {
  sim_config c;
  c.latency_s = 0.002;
  c.period_s = 0.020;
  c.mbps_at = [](double) { return 200.0; };
  link_estimator est;
  est.add_round_trip(to_ns(0.002));
  sim_link link(c);
  auto add = [&](const transfer_sample& s) { est.add(s); };
  link.run(
      100, [&](int64_t) { return vit_frame_bytes(16); }, add);
  link.drain(add);
  link_estimate e = est.current(to_ns(2.0));
  EXPECT_TRUE(e.lower_bound);
  EXPECT_NEAR(e.mbps, 200.0, 0.5);
  EXPECT_NEAR(e.latency_ms, 2.0, 0.01);
}

TEST(LinkEstimator, LearnsTheLatencyFromSaturatedPeriods) {
  // Saturated first (the capacity becomes known), then idle frames: their
  // overhead minus the wire time is the latency.
  sim_config c;
  c.latency_s = 0.003;
  c.period_s = 0.010;
  c.mbps_at = [](double) { return 100.0; };
  link_estimator est;
  sim_link link(c);
  int frames = 0;
  auto add = [&](const transfer_sample& s) { est.add(s); };
  // 60 frames of 2.42 Mbit (saturated), then 0.3 Mbit ones (3 ms each: idle).
  link.run(
      400, [&](int64_t) { return ++frames <= 60 ? vit_frame_bytes(16) : vit_frame_bytes(2); }, add);
  link.drain(add);
  link_estimate e = est.current(link.last_ack_ns());
  EXPECT_NEAR(e.latency_ms, 3.0, 0.01);
  EXPECT_NEAR(e.mbps, 100.0, 0.5);
}

TEST(LinkEstimator, AnOldSaturatedFigureDoesNotInflateTheLatency) {
  // Saturated at 100 Mbit/s until 2 s; then 2-bit frames (idle link); at 4 s
  // the capacity halves, unseen (the link stays idle). Reading the idle
  // frames' latency with the old 100 Mbit/s would make it 5 ms instead of 2,
  // and every idle reading after it twice the capacity.
  sim_config c;
  c.latency_s = 0.002;
  c.period_s = 0.020;
  c.mbps_at = [](double t) { return t < 4.0 ? 100.0 : 50.0; };
  link_estimator est;
  sim_link link(c);
  auto add = [&](const transfer_sample& s) { est.add(s); };
  link.run(
      1000,
      [&](int64_t now) { return now < to_ns(2.0) ? vit_frame_bytes(16) : vit_frame_bytes(2); },
      add);
  link.drain(add);
  link_estimate e = est.current(link.last_ack_ns());
  EXPECT_LE(e.latency_ms, 2.0 + 1e-6);
  EXPECT_GE(e.latency_ms, 1.0); // learnt while the saturated figure was fresh
}

TEST(LinkEstimator, StepDownShowsWithinAFewFrames) {
  sim_config c;
  c.period_s = 0.010;
  c.latency_s = 0.002;
  c.mbps_at = [](double t) { return t < 2.0 ? 1000.0 : 20.0; };
  link_estimator est;
  sim_link link(c);
  int64_t after_drop = 0; // saturated acks seen after the drop
  double at_sixth = 0;
  link.run(
      400, [&](int64_t) { return vit_frame_bytes(4); },
      [&](const transfer_sample& s) {
        est.add(s);
        if (s.offered_ns < to_ns(2.0)) return;
        link_estimate e = est.current(s.ack_ns);
        if (!e.lower_bound && ++after_drop == 6) at_sixth = e.mbps;
      });
  // 4-bit frames (0.6 Mbit) take 30 ms at 20 Mbit/s: saturated after the drop.
  EXPECT_NEAR(at_sixth, 20.0, 0.5);
}

TEST(LinkEstimator, AVerySlowLinkStillGetsAConfidentReading) {
  // 0.5 Mbit/s: each 16-bit frame takes 4.8 s, acks come seconds apart.
  sim_config c;
  c.period_s = 0.010;
  c.mbps_at = [](double) { return 0.5; };
  link_estimator est;
  sim_link link(c);
  link.run(
      8, [&](int64_t) { return vit_frame_bytes(16); },
      [&](const transfer_sample& s) { est.add(s); });
  link.drain([&](const transfer_sample& s) { est.add(s); });
  link_estimate e = est.current(link.last_ack_ns());
  EXPECT_FALSE(e.lower_bound);
  EXPECT_NEAR(e.mbps, 0.5, 0.001);
  EXPECT_GT(e.confidence, 0.9);
}

TEST(LinkEstimator, StaleReadingsLoseConfidence) {
  sim_config c;
  c.period_s = 0.010;
  c.mbps_at = [](double) { return 100.0; };
  link_estimator est = run_constant(c, 50, vit_frame_bytes(16));
  int64_t last = to_ns(50 * 0.024);
  double fresh = est.current(last).confidence;
  double old = est.current(last + to_ns(30.0)).confidence; // 3 x stale_ns
  EXPECT_GT(fresh, 0.95);
  EXPECT_LT(old, 0.06);
  EXPECT_NEAR(est.current(last + to_ns(30.0)).mbps, 100.0, 0.1); // the figure stays
}

TEST(LinkEstimator, WindowOfOneOnlyEverGivesALowerBound) {
  sim_config c;
  c.window = 1;
  c.period_s = 0.001; // the source is far faster than the link
  c.latency_s = 0.002;
  c.mbps_at = [](double) { return 50.0; };
  link_estimator est = run_constant(c, 100, vit_frame_bytes(8));
  link_estimate e = est.current(to_ns(5.0));
  EXPECT_TRUE(e.lower_bound);
  EXPECT_LE(e.mbps, 50.0 * 1.001);
}

TEST(LinkEstimator, ASlowReceiverThrottlingCreditsIsNotReadAsTheLink) {
  // 1000 Mbit/s, 16-bit frames (2.4 ms on the wire); the receiver takes one
  // frame per 30 ms and only then returns the credit. Frames go out every
  // 30 ms onto an idle link: the ack gap is the receiver's pace (80 Mbit/s),
  // not the link's.
  sim_config c;
  c.latency_s = 0.002;
  c.period_s = 0.005;
  c.receiver_period_s = 0.030;
  c.mbps_at = [](double) { return 1000.0; };
  link_estimator est = run_constant(c, 300, vit_frame_bytes(16));
  link_estimate e = est.current(to_ns(300 * 0.030));
  EXPECT_TRUE(e.lower_bound);
  EXPECT_GT(e.mbps, 500.0); // 2.42 Mbit / (2.4 ms + 2 ms latency) = 548
  EXPECT_LE(e.mbps, 1000.0 * 1.001);
}

TEST(LinkEstimator, ReceiverHoldIsNotCountedAsWireTime) {
  // The receiver acks only when its stage takes the frame, 30 ms after
  // arrival; it reports that hold. Without the correction the dispersion
  // would show the receiver's pace, not the link's.
  link_estimator est;
  const uint64_t bytes = 1'250'000; // 10 Mbit: 100 ms at 100 Mbit/s
  for (int n = 0; n < 20; ++n) {
    transfer_sample s;
    s.bytes = bytes;
    s.offered_ns = 0; // all queued at once
    s.receiver_hold_ns = to_ns(0.030) * (n + 1);
    s.ack_ns = to_ns(0.100) * (n + 1) + s.receiver_hold_ns;
    est.add(s);
  }
  link_estimate e = est.current(to_ns(2.0));
  EXPECT_FALSE(e.lower_bound);
  EXPECT_NEAR(e.mbps, 100.0, 0.01);
}

TEST(LinkEstimator, NothingMeasuredYet) {
  link_estimator est;
  link_estimate e = est.current(0);
  EXPECT_EQ(e.mbps, 0.0);
  EXPECT_EQ(e.confidence, 0.0);
  EXPECT_TRUE(e.lower_bound);
  EXPECT_EQ(e.samples, 0u);
}

} // namespace
} // namespace edgepipe::runtime
