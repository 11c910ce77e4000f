// The discrete-event simulator against hand-computed pipelines and the cost model.
#include <gtest/gtest.h>

#include "config/profiles_io.hpp"
#include "planner/partition.hpp"
#include "planner/simulator.hpp"

using namespace edgepipe::planner;

namespace {

// A link whose transfer of `bytes` takes `seconds` at the trace's first speed.
sim_link link_taking(double seconds, double mbps = 8) {
  sim_link l;
  l.trace_mbps = {{0.0, mbps}};
  l.bytes = seconds * mbps * 1024 * 1024 / 8;
  return l;
}

} // namespace

TEST(Simulator, OneStageRunsBackToBack) {
  sim_config c;
  c.compute_s = {0.25};
  c.credits = 1;
  c.microbatches = 8;
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->finished_s[0], 0.25);
  EXPECT_DOUBLE_EQ(r->makespan_s, 2.0);
  EXPECT_DOUBLE_EQ(r->throughput, 4.0);
}

TEST(Simulator, TwoStagesByHand) {
  // Stage 0: 1 s, link 0.5 s, stage 1: 2 s, one credit. mb0: computed 0-1,
  // sent 1-1.5, stage 1 runs it 1.5-3.5; stage 1 is the bottleneck (2 s).
  sim_config c;
  c.compute_s = {1.0, 2.0};
  c.links = {link_taking(0.5)};
  c.credits = 1;
  c.microbatches = 10;
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->finished_s[0], 3.5);
  EXPECT_DOUBLE_EQ(r->finished_s[1], 5.5);
  EXPECT_NEAR(r->throughput, 0.5, 1e-12);
}

TEST(Simulator, OneCreditSerialisesComputeAndSend) {
  // With K = 1 stage 0 cannot start the next microbatch until stage 1 has
  // taken the last one: its cycle is compute + send = 2 s. With K = 3 the
  // send overlaps and the 1 s stages set the pace.
  sim_config c;
  c.compute_s = {1.0, 1.0};
  c.links = {link_taking(1.0)};
  c.microbatches = 40;
  c.credits = 1;
  auto one = simulate(c);
  c.credits = 3;
  auto three = simulate(c);
  ASSERT_TRUE(one.has_value() && three.has_value());
  EXPECT_NEAR(one->throughput, 0.5, 1e-9);
  EXPECT_NEAR(three->throughput, 1.0, 1e-9);
}

TEST(Simulator, HandoffAddsToTheCredits) {
  // Results held for the encoder decouple like extra credits: K = 1 with a
  // handoff of 2 runs as K = 3 (send overlaps compute, 1 s per microbatch),
  // and the microbatches' times are the same.
  sim_config c;
  c.compute_s = {1.0, 1.0};
  c.links = {link_taking(1.0)};
  c.microbatches = 40;
  c.credits = 1;
  c.handoff = 2;
  auto held = simulate(c);
  c.credits = 3;
  c.handoff = 0;
  auto three = simulate(c);
  ASSERT_TRUE(held.has_value() && three.has_value());
  EXPECT_NEAR(held->throughput, 1.0, 1e-9);
  EXPECT_EQ(held->finished_s, three->finished_s);
  EXPECT_EQ(held->issued_s, three->issued_s);
}

TEST(Simulator, FollowsABandwidthTrace) {
  // The link takes 0.5 s until t = 30, then its speed drops to a quarter
  // (2 s per transfer): throughput falls from 1/s to 0.5/s.
  sim_config c;
  c.compute_s = {1.0, 1.0};
  sim_link l = link_taking(0.5);
  l.trace_mbps.push_back({30.0, l.trace_mbps[0].second / 4});
  c.links = {l};
  c.credits = 4;
  c.microbatches = 80;
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  auto tl = timeline(*r, 10);
  double early = 0, late = 0;
  for (const auto& s : tl) {
    if (s.time_s > 15 && s.time_s < 28) early = s.throughput;
    if (s.time_s > 100) late = s.throughput;
  }
  EXPECT_NEAR(early, 1.0, 1e-9);
  EXPECT_NEAR(late, 0.5, 1e-9);
  EXPECT_NEAR(r->throughput, 0.5, 1e-9);
}

TEST(Simulator, SteadyStateMatchesThePlannedPeriod) {
  std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";
  auto ps = edgepipe::config::read_profiles(dir + "/models.yml", dir + "/device_types.yml",
                                            dir + "/devices.yml");
  ASSERT_TRUE(ps.has_value()) << ps.error().message;
  auto inst = make_instance(*ps, "google/vit-large-patch16-224", "torch.float32", {});
  ASSERT_TRUE(inst.has_value());
  auto best = optimal_partition(*inst);
  ASSERT_TRUE(best.has_value());
  auto r = simulate(sim_config_for(*inst, best->best, 4, 200));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(r->throughput * best->best.period_s, 1.0, 1e-6);
  // Latency is at least the sum of compute and send times along the pipeline.
  double path = 0;
  for (const auto& s : best->best.stages) path += s.compute_s + s.send_s;
  EXPECT_GE(r->mean_latency_s, path - 1e-9);
}

TEST(Simulator, RejectsBadConfigs) {
  sim_config c;
  EXPECT_FALSE(simulate(c).has_value());
  c.compute_s = {1, 1};
  EXPECT_FALSE(simulate(c).has_value()); // no link
  c.links = {link_taking(1)};
  c.credits = 0;
  EXPECT_FALSE(simulate(c).has_value());
}

TEST(SimulatorSharedCores, TwoStagesOnOneCoreByHand) {
  // Stages of 1 s and 1 s, free link, one 1-core machine, K = 1. mb0: stage 0
  // alone 0-1; then stage 1 runs mb0 while stage 0 runs mb1, each at half
  // speed: both finish at 3. The core is never idle: 2 s of work per
  // microbatch, 40 s in all, one microbatch every 2 s in between.
  sim_config c;
  c.compute_s = {1.0, 1.0};
  c.links = {link_taking(0)};
  c.credits = 1;
  c.microbatches = 20;
  c.machine = {0, 0};
  c.machine_cores = {1};
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->finished_s[0], 3.0);
  EXPECT_NEAR(r->makespan_s, 40.0, 1e-9);
  EXPECT_NEAR(r->finished_s[15] - r->finished_s[5], 20.0, 1e-9);
  // Each stage computes one microbatch alone (stage 0's first, stage 1's
  // last) and 19 at half speed: (1 + 19 x 2) / 20 s of wall time each.
  ASSERT_EQ(r->stage_wall_s.size(), 2u);
  EXPECT_NEAR(r->stage_wall_s[0], 39.0 / 20, 1e-9);
  EXPECT_NEAR(r->stage_wall_s[1], 39.0 / 20, 1e-9);
}

TEST(SimulatorSharedCores, ThreeStagesOnTwoCoresAreCpuBound) {
  // 3 x 1 s of work per microbatch on 2 cores: one microbatch per 1.5 s at
  // best, and with K = 2 the stages stay busy enough to reach it in the
  // steady state (fill and drain leave cores idle). 3 cores: one per second.
  sim_config c;
  c.compute_s = {1.0, 1.0, 1.0};
  c.links = {link_taking(0), link_taking(0)};
  c.credits = 2;
  c.microbatches = 300;
  c.machine = {0, 0, 0};
  c.machine_cores = {2};
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(r->finished_s[200] - r->finished_s[100], 150.0, 1e-6);
  c.machine_cores = {3};
  auto r3 = simulate(c);
  ASSERT_TRUE(r3.has_value());
  EXPECT_NEAR(r3->finished_s[200] - r3->finished_s[100], 100.0, 1e-9);
}

TEST(SimulatorSharedCores, ThreadsCountAgainstTheCores) {
  // One stage of 2 threads and one of 1 on a 2-core machine: 3 threads want
  // 2 cores, each stage at 2/3 speed while both run.
  sim_config c;
  c.compute_s = {1.0, 1.0};
  c.links = {link_taking(0)};
  c.credits = 1;
  c.microbatches = 4;
  c.machine = {0, 0};
  c.machine_cores = {2};
  c.threads = {2, 1};
  auto r = simulate(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // mb0: 0-1 alone; 1-2.5 both at 2/3 speed (mb0 on stage 1, mb1 on stage 0).
  EXPECT_DOUBLE_EQ(r->finished_s[0], 2.5);
}

TEST(SimulatorSharedCores, OwnMachinesChangeNothing) {
  sim_config c;
  c.compute_s = {0.3, 0.7, 0.5};
  c.links = {link_taking(0.2), link_taking(0.4)};
  c.credits = 2;
  c.microbatches = 50;
  auto plain = simulate(c);
  c.machine = {0, 1, 2};
  c.machine_cores = {1, 1, 1};
  auto own = simulate(c);
  ASSERT_TRUE(plain.has_value() && own.has_value());
  for (int m = 0; m < 50; ++m) EXPECT_NEAR(own->finished_s[m], plain->finished_s[m], 1e-12);
  c.machine = {0, 0, 5};
  EXPECT_FALSE(simulate(c).has_value()); // machine 5 has no core count
}

TEST(SimulatorOverhead, OneStageSharesItsCoreWithTheOverhead) {
  // 10 ms of compute and 2.5 ms of other CPU per microbatch on one core: the
  // core does 12.5 ms of work per microbatch, 80 microbatches/s. Without
  // the overhead, 100.
  sim_config c;
  c.compute_s = {0.010};
  c.credits = 2;
  c.microbatches = 2000;
  c.machine = {0};
  c.machine_cores = {1};
  c.machine_overhead_s = {0.0025};
  auto r = simulate_with_overhead(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(c.microbatches / r->makespan_s, 80.0, 0.01);
  auto plain = simulate(c); // ignores the overhead
  ASSERT_TRUE(plain.has_value());
  EXPECT_NEAR(c.microbatches / plain->makespan_s, 100.0, 1e-6);
}

TEST(SimulatorOverhead, TwoStagesOnTwoCoresLeaveWhatTheOverheadTakes) {
  // 2 x 10 ms of compute + 5 ms of overhead per microbatch on 2 cores:
  // 25 ms of CPU per microbatch, 80 per second once both stages are busy.
  sim_config c;
  c.compute_s = {0.010, 0.010};
  c.links = {link_taking(0)};
  c.credits = 2;
  c.microbatches = 4000;
  c.machine = {0, 0};
  c.machine_cores = {2};
  c.machine_overhead_s = {0.005};
  auto r = simulate_with_overhead(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // The fill (one stage alone for the first microbatch) costs a few ms in 50 s.
  EXPECT_NEAR(c.microbatches / r->makespan_s, 80.0, 0.05);
}

TEST(SimulatorOverhead, NoOverheadIsThePlainSimulationAndBadValuesAreRefused) {
  sim_config c;
  c.compute_s = {0.3, 0.7};
  c.links = {link_taking(0.2)};
  c.microbatches = 50;
  c.machine = {0, 0};
  c.machine_cores = {1};
  c.machine_overhead_s = {0};
  auto plain = simulate(c);
  auto with = simulate_with_overhead(c);
  ASSERT_TRUE(plain.has_value() && with.has_value());
  EXPECT_EQ(with->makespan_s, plain->makespan_s);
  c.machine_overhead_s = {-1};
  EXPECT_FALSE(simulate_with_overhead(c).has_value());
  c.machine_overhead_s = {0.1, 0.1}; // two entries for one machine
  EXPECT_FALSE(simulate_with_overhead(c).has_value());
}
