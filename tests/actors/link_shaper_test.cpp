// link_shaper against closed forms and against a brute-force, time-stepped
// token bucket written here independently of the shaper's arithmetic.
#include <gtest/gtest.h>

#include <limits>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "actors/link_shaper.hpp"

namespace edgepipe::actors {
namespace {

constexpr double bytes_per_mbit = 1e6 / 8;

config::bandwidth_spec fixed_rate(double mbps, double burst_kb = 0, double latency_ms = 0) {
  config::bandwidth_spec spec;
  spec.kind = config::bandwidth_kind::fixed;
  spec.mbps = mbps;
  spec.burst_kb = burst_kb;
  spec.latency_ms = latency_ms;
  return spec;
}

config::bandwidth_spec trace(std::vector<config::rate_point> points, double repeat_every_s = 0,
                             double burst_kb = 0) {
  config::bandwidth_spec spec;
  spec.kind = config::bandwidth_kind::trace;
  spec.trace = std::move(points);
  spec.repeat = repeat_every_s > 0;
  spec.repeat_period_s = repeat_every_s;
  spec.burst_kb = burst_kb;
  return spec;
}

struct frame {
  double offered_s;
  size_t bytes;
};

// Offers the frames in order; returns when each leaves the bucket.
std::vector<double> departures(link_shaper& shaper, const std::vector<frame>& frames,
                               double latency_s = 0) {
  std::vector<double> out;
  for (const frame& f : frames)
    out.push_back(f.offered_s + shaper.hold_s(f.bytes, f.offered_s) - latency_s);
  return out;
}

// The rate of a trace at t, straight from the points (no shared code).
double brute_rate(const config::bandwidth_spec& spec, double t) {
  if (spec.kind == config::bandwidth_kind::fixed) return spec.mbps * bytes_per_mbit;
  if (spec.repeat) t = std::fmod(t, spec.repeat_period_s);
  double mbps = 0;
  for (const auto& p : spec.trace)
    if (p.time_s <= t) mbps = p.mbps;
  return mbps * bytes_per_mbit;
}

// Time-stepped token bucket: while no frame waits, tokens fill up to the
// depth; while the head frame waits, every token goes to it; it leaves at
// the first step where it has gathered its size.
std::vector<double> brute_departures(const config::bandwidth_spec& spec,
                                     const std::vector<frame>& frames, double dt) {
  const double depth = spec.burst_kb * 1024;
  std::vector<double> out;
  double tokens = depth;
  double t = 0;
  size_t next = 0;
  while (next < frames.size()) {
    bool waiting = frames[next].offered_s <= t;
    if (waiting && tokens >= double(frames[next].bytes)) {
      tokens -= double(frames[next].bytes);
      out.push_back(t);
      ++next;
      continue; // the next frame may leave at the same instant
    }
    double gained = brute_rate(spec, t + dt / 2) * dt;
    tokens = waiting ? tokens + gained : std::min(depth, tokens + gained);
    t += dt;
  }
  return out;
}

std::vector<frame> random_frames(int count, double mean_gap_s, size_t max_bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<double> gap(1 / mean_gap_s);
  std::uniform_int_distribution<size_t> size(1, max_bytes);
  std::vector<frame> frames;
  double t = 0;
  for (int i = 0; i < count; ++i) {
    t += gap(rng);
    frames.push_back({t, size(rng)});
  }
  return frames;
}

TEST(LinkShaper, FixedRateIsASerialLink) {
  // Depth 0: departure_n = max(offer_n, departure_{n-1}) + size_n / rate.
  const double mbps = 40;
  link_shaper shaper(fixed_rate(mbps));
  std::vector<frame> frames = random_frames(500, 0.004, 40000, 1);
  std::vector<double> got = departures(shaper, frames);
  double previous = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    double expected =
        std::max(frames[i].offered_s, previous) + double(frames[i].bytes) / (mbps * bytes_per_mbit);
    ASSERT_NEAR(got[i], expected, 1e-9) << "frame " << i;
    previous = expected;
  }
}

TEST(LinkShaper, TraceOutageDelaysTheFrameAcrossSteps) {
  // 8 Mbit/s = 1e6 B/s for 1 s, nothing for 1 s, then 2e6 B/s: 1.5e6 bytes
  // offered at 0 has 1e6 sent by t = 1 and the rest 0.25 s after t = 2.
  link_shaper shaper(trace({{0, 8}, {1, 0}, {2, 16}}));
  EXPECT_NEAR(shaper.hold_s(1500000, 0), 2.25, 1e-12);
  // The next frame, offered during the first one, follows it at 2e6 B/s.
  EXPECT_NEAR(shaper.hold_s(500000, 0.5), 2.5 - 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(0.5), 8);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(1.5), 0);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(100), 16); // the last rate holds
}

TEST(LinkShaper, ATraceEndingInAnOutageHoldsForeverInsteadOfLooping) {
  // The topology refuses such a trace, but the embedding API can build one:
  // the frame that does not fit before the outage never leaves.
  link_shaper shaper(trace({{0, 8}, {1, 0}}));
  EXPECT_NEAR(shaper.hold_s(500000, 0), 0.5, 1e-12);
  EXPECT_EQ(shaper.hold_s(1000000, 0), std::numeric_limits<double>::infinity());
}

TEST(LinkShaper, HoldsSaturateAtADayInsteadOfOverflowing) {
  // At 1e-20 Mbit/s a 600 KB frame would wait 4.8e20 s, about 2^98 ns: the
  // hold in nanoseconds is one day, never an overflowed (negative) number
  // that would let the frame through unshaped.
  const int64_t day_ns = int64_t(86400) * 1000000000;
  EXPECT_EQ(link_shaper::max_hold_s, 86400);
  link_shaper slow(fixed_rate(1e-20));
  EXPECT_GT(slow.hold_s(600000, 0), 1e20);
  EXPECT_EQ(slow.hold_ns(600000, 0), day_ns);
  // And every later frame, though the link's clock is far past int64 ns now.
  EXPECT_EQ(slow.hold_ns(10, 1), day_ns);
  // An outage that never ends, and a latency beyond a day.
  link_shaper outage(trace({{0, 8}, {1, 0}}));
  EXPECT_EQ(outage.hold_ns(2000000, 0), day_ns);
  link_shaper late(fixed_rate(8, 0, 1e300));
  EXPECT_EQ(late.hold_ns(1, 0), day_ns);
  // Ordinary holds are unchanged, to the nanosecond.
  link_shaper normal(fixed_rate(8));
  EXPECT_EQ(normal.hold_ns(1000000, 0), 1000000000);
  EXPECT_EQ(normal.hold_ns(1, 0), 1000001000);
}

TEST(LinkShaper, BurstLetsAFullBucketThroughAtOnce) {
  // 8 Mbit/s = 1e6 B/s, depth 64 KiB: two 32 KiB frames leave at once, the
  // third waits for 32 KiB of tokens; after a long pause the bucket is full again.
  link_shaper shaper(fixed_rate(8, 64));
  EXPECT_DOUBLE_EQ(shaper.hold_s(32768, 0), 0);
  EXPECT_DOUBLE_EQ(shaper.hold_s(32768, 0), 0);
  EXPECT_NEAR(shaper.hold_s(32768, 0), 32768 / 1e6, 1e-12);
  EXPECT_DOUBLE_EQ(shaper.hold_s(65536, 10), 0);
  // A frame larger than the bucket waits for the missing bytes only.
  EXPECT_NEAR(shaper.hold_s(100000, 20), (100000 - 65536) / 1e6, 1e-12);
}

TEST(LinkShaper, UnlimitedHoldsOnlyTheLatency) {
  config::bandwidth_spec spec;
  spec.latency_ms = 3;
  link_shaper shaper(spec);
  EXPECT_TRUE(shaper.unlimited());
  EXPECT_DOUBLE_EQ(shaper.hold_s(1 << 30, 0), 0.003);
  EXPECT_LT(shaper.rate_mbps_at(0), 0);
  // Latency adds to the bucket's wait but does not slow the link down.
  link_shaper slow(fixed_rate(8, 0, 10));
  EXPECT_NEAR(slow.hold_s(1000000, 0), 1.010, 1e-12);
  EXPECT_NEAR(slow.hold_s(1000000, 0), 2.010, 1e-12);
}

TEST(LinkShaper, RepeatingTraceWrapsAround) {
  link_shaper shaper(trace({{0, 10}, {2, 1}}, 5));
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(1), 10);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(4.9), 1);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(5), 10);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(7.5), 1);
  EXPECT_DOUBLE_EQ(shaper.rate_mbps_at(1000.5), 10);
}

TEST(LinkShaper, MatchesBruteForceTokenBucket) {
  const double dt = 1e-5;
  struct scenario {
    config::bandwidth_spec spec;
    double mean_gap_s;
    size_t max_bytes;
  };
  std::vector<scenario> scenarios = {
      {fixed_rate(16, 0), 0.01, 30000},
      {fixed_rate(16, 48), 0.02, 30000},
      {trace({{0, 20}, {0.3, 0}, {0.5, 4}, {0.9, 50}}, 0, 0), 0.01, 20000},
      {trace({{0, 20}, {0.25, 2}, {0.6, 0}, {0.7, 30}}, 1.1, 16), 0.015, 25000},
  };
  for (size_t s = 0; s < scenarios.size(); ++s) {
    std::vector<frame> frames =
        random_frames(120, scenarios[s].mean_gap_s, scenarios[s].max_bytes, 10 + unsigned(s));
    link_shaper shaper(scenarios[s].spec);
    std::vector<double> got = departures(shaper, frames);
    std::vector<double> want = brute_departures(scenarios[s].spec, frames, dt);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 20 * dt) << "scenario " << s << ", frame " << i;
  }
}

TEST(LinkShaper, BackToBackFramesAverageTheTraceRate) {
  // A saturated link carries the integral of its rate: over one 10 s period
  // of (4 s at 50, 6 s at 10 Mbit/s) that is 260 Mbit = 32.5e6 bytes.
  link_shaper shaper(trace({{0, 50}, {4, 10}}, 10));
  double sent = 0;
  double t = 0;
  while (true) {
    double leave = t + shaper.hold_s(10000, t);
    if (leave > 30) break;
    sent += 10000;
    t = leave;
  }
  EXPECT_NEAR(sent, 3 * 32.5e6, 10000);
}

} // namespace
} // namespace edgepipe::actors
