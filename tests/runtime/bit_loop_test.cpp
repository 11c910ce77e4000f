// The estimator and the bit controller in closed loop on the simulated link
// (sim_link.hpp): the frame size follows the controller's bits, the samples
// follow the frames. The cases users hit: an idle link with latency, an
// unlimited link, a trace that drops and recovers, with noise.
#include <gtest/gtest.h>

#include <cstdio>
#include <utility>

#include "runtime/bit_controller.hpp"
#include "runtime/link_estimator.hpp"
#include "sim_link.hpp"

namespace edgepipe::runtime {
namespace {

using test::sim_config;
using test::sim_link;
using test::to_ns;

link_bits_config vit_link(int bits, int min_bits, int max_bits) {
  link_bits_config c;
  c.bits = bits;
  c.min_bits = min_bits;
  c.max_bits = max_bits;
  c.frame_bytes = frame_bytes_by_bits({{1, 197, 768}}, codecs::granularity::tensor);
  return c;
}

struct timed_change {
  int64_t ns;
  bit_change change;
};

struct loop_result {
  std::vector<timed_change> changes;
  std::vector<std::pair<int64_t, int>> offers; // when each frame was offered, at which bits
  int final_bits = 0;
};

// `frames` frames; after every ack the estimate goes to the controller, as the
// actors will do it.
loop_result run_loop(const sim_config& c, const link_bits_config& cfg, double period_s,
                     int frames) {
  auto made = bit_controller::create({cfg});
  EXPECT_TRUE(made.has_value());
  bit_controller ctl = std::move(*made);
  link_estimator est;
  sim_link link(c);
  loop_result r;
  auto on_ack = [&](const transfer_sample& s) {
    est.add(s);
    for (bit_change& ch : ctl.update(s.ack_ns, period_s, {est.current(s.ack_ns)}))
      r.changes.push_back(timed_change{s.ack_ns, std::move(ch)});
  };
  auto bytes_at = [&](int64_t now) {
    r.offers.emplace_back(now, ctl.bits(0));
    return cfg.frame_bytes[size_t(ctl.bits(0))];
  };
  link.run(frames, bytes_at, on_ack);
  r.final_bits = ctl.bits(0);
  return r;
}

// Frames offered in [from_s, to_ns) (to count how long a reaction took).
int frames_between(const loop_result& r, double from_s, int64_t to_ns_) {
  int n = 0;
  for (auto& [t, bits] : r.offers)
    if (t >= to_ns(from_s) && t < to_ns_) ++n;
  return n;
}

TEST(BitLoop, IdleLinkWithLatencyKeepsMaxBits) {
  // The issue: 200 Mbit/s with 2 ms latency, 16-bit frames need 12.1 ms. One
  // frame per 20 ms, or per 13 ms (then frames overlap in flight).
  for (double period : {0.020, 0.013})
    for (double noise : {0.0, 0.10}) {
      sim_config c;
      c.latency_s = 0.002;
      c.period_s = period;
      c.noise = noise;
      c.mbps_at = [](double) { return 200.0; };
      loop_result r = run_loop(c, vit_link(16, 2, 16), period, 3000);
      EXPECT_TRUE(r.changes.empty())
          << "period " << period << " noise " << noise << ": " << r.changes.front().change.reason;
      EXPECT_EQ(r.final_bits, 16);
    }
}

TEST(BitLoop, IdleLinkWithLatencyClimbsToMaxBits) {
  sim_config c;
  c.latency_s = 0.002;
  c.period_s = 0.020;
  c.mbps_at = [](double) { return 200.0; };
  loop_result r = run_loop(c, vit_link(4, 2, 16), 0.020, 3000);
  ASSERT_FALSE(r.changes.empty());
  for (const timed_change& t : r.changes) EXPECT_GT(t.change.new_bits, t.change.old_bits);
  EXPECT_LE(r.changes.back().ns, to_ns(12.0)); // three probe intervals at most
  EXPECT_EQ(r.final_bits, 16);
}

TEST(BitLoop, UnlimitedLinkStaysAtMax) {
  sim_config c;
  c.latency_s = 50e-6; // loopback
  c.period_s = 0.010;
  c.window = 4;
  c.mbps_at = [](double) { return 1e5; };
  loop_result at_max = run_loop(c, vit_link(16, 2, 16), 0.010, 3000);
  EXPECT_TRUE(at_max.changes.empty());
  // From 4 bits with float32 allowed: up to float32, never down.
  loop_result climb = run_loop(c, vit_link(4, 2, 0), 0.010, 3000);
  for (const timed_change& t : climb.changes) {
    int rank_old = t.change.old_bits == 0 ? 17 : t.change.old_bits;
    int rank_new = t.change.new_bits == 0 ? 17 : t.change.new_bits;
    EXPECT_GT(rank_new, rank_old) << t.change.reason;
  }
  EXPECT_EQ(climb.final_bits, 0);
}

TEST(BitLoop, ASlowReceiverDoesNotLowerBits) {
  // Loopback link; the next stage takes 30 ms per microbatch (the slowest
  // stage: the target period) and returns credits at that pace. The link is
  // never the bottleneck: bits stay at the maximum.
  sim_config c;
  c.latency_s = 50e-6;
  c.period_s = 0.010;
  c.receiver_period_s = 0.030;
  c.mbps_at = [](double) { return 1e5; };
  loop_result r = run_loop(c, vit_link(16, 2, 16), 0.030, 2000);
  EXPECT_TRUE(r.changes.empty()) << r.changes.front().change.reason;
}

// 0-20 s 1000 Mbit/s, 20-40 s 20, 40-60 s 100, 60-100 s 1000; one 16-bit ViT
// frame per 20 ms. What fits 20 ms: 16 bits at 1000, 2 at 20, 13 at 100 (11
// with the 15% headroom).
double trace_mbps(double t) {
  if (t < 20) return 1000;
  if (t < 40) return 20;
  if (t < 60) return 100;
  return 1000;
}

TEST(BitLoop, TraceDropsAndRecoversWithoutFlapping) {
  const double period = 0.020;
  std::vector<int> finals;
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    sim_config c;
    c.latency_s = 0.002;
    c.period_s = period;
    c.noise = 0.10;
    c.seed = seed;
    c.mbps_at = trace_mbps;
    loop_result r = run_loop(c, vit_link(16, 2, 16), period, 5000);
    finals.push_back(r.final_bits);
    SCOPED_TRACE("seed " + std::to_string(seed));

    // No change while the link is fast.
    for (const timed_change& t : r.changes) EXPECT_GE(t.ns, to_ns(20.0)) << t.change.reason;
    // After the drop: the first change goes down, within a few frames.
    ASSERT_FALSE(r.changes.empty());
    const timed_change& first = r.changes.front();
    EXPECT_LT(first.change.new_bits, first.change.old_bits);
    EXPECT_LE(frames_between(r, 20.0, first.ns), 10);
    // Bits at every offer: at most 3 during the low part (3 only while a
    // probe fails), within what fits 100 Mbit/s at the end of the medium part.
    for (auto& [t, bits] : r.offers) {
      if (t >= to_ns(21.0) && t < to_ns(40.0)) {
        EXPECT_LE(bits, 3) << "at " << t / 1e9 << " s";
      }
      if (t >= to_ns(58.0) && t < to_ns(60.0)) {
        EXPECT_GE(bits, 11) << "at " << t / 1e9 << " s";
        EXPECT_LE(bits, 13) << "at " << t / 1e9 << " s";
      }
    }
    // Back to 16 bits within two probe intervals of the recovery, to stay.
    int64_t back_at = -1;
    for (const timed_change& t : r.changes)
      if (t.ns >= to_ns(60.0) && t.change.new_bits == 16) back_at = t.ns;
    EXPECT_GE(back_at, to_ns(60.0));
    EXPECT_LE(back_at, to_ns(68.0));
    EXPECT_EQ(r.final_bits, 16);
    // Few changes in all: no flapping.
    EXPECT_LE(r.changes.size(), 12u);

    std::printf("seed %u: %zu changes:", seed, r.changes.size());
    for (const timed_change& t : r.changes)
      std::printf(" %.2fs %d->%d", t.ns / 1e9, t.change.old_bits, t.change.new_bits);
    std::printf("\n");
  }
  for (int f : finals) EXPECT_EQ(f, finals.front());
}

TEST(BitLoop, CapacitySwingingAroundAThresholdDoesNotFlap) {
  // 12-bit frames take exactly the 20 ms period at r0 = 90.8 Mbit/s; the
  // capacity swings between r0 - 8% and r0 + 8% every 3 s, with 5% noise on
  // top. Following the swing would change bits every 3 s (40 times); 11 bits
  // fits all the time.
  const double period = 0.020;
  const double r0 = double(vit_link(12, 2, 16).frame_bytes[12]) * 8 / period / 1e6;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    sim_config c;
    c.latency_s = 0.002;
    c.period_s = period;
    c.noise = 0.05;
    c.seed = seed;
    c.mbps_at = [r0](double t) { return int(t / 3.0) % 2 ? r0 * 1.08 : r0 * 0.92; };
    loop_result r = run_loop(c, vit_link(12, 2, 16), period, 6000); // 120 s
    std::printf("seed %u: %zu changes:", seed, r.changes.size());
    for (const timed_change& t : r.changes)
      std::printf(" %.2fs %d->%d", t.ns / 1e9, t.change.old_bits, t.change.new_bits);
    std::printf("\n");
    // Failed probes cost two changes each, ever rarer (back-off): 40 swings,
    // at most 10 changes, and the frames sent at 12 bits or more (which miss
    // the period half the time) are a few percent.
    EXPECT_LE(r.changes.size(), 10u) << "seed " << seed;
    size_t above = 0;
    for (auto& [t, bits] : r.offers) above += bits >= 12 ? 1 : 0;
    EXPECT_LT(double(above) / double(r.offers.size()), 0.03) << "seed " << seed;
  }
}

} // namespace
} // namespace edgepipe::runtime
