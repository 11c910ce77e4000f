// partition: auto's planner instance (cli/auto_instance) and the plan report
// (cli/plan_report): link rates converted from the topology's 10^6 bit/s to
// the planner's 2^20, weights from the model descriptor, the no-plan error,
// and the per-stage explanation against values computed here by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "cli/auto_instance.hpp"
#include "cli/plan_report.hpp"
#include "config/topology.hpp"
#include "planner/cost_model.hpp"
#include "planner/partition.hpp"
#include "planner/wire_size.hpp"

using namespace edgepipe;

namespace {

// Three nodes, synthetic ViT-Base (48 layers); links at 10 Mbit/s, the one
// after stage 0 at 8 bits, unlimited from c to a.
std::string topology_yaml(int mem_a, int mem_b, int mem_c) {
  return "name: t\n"
         "nodes:\n"
         "  - {name: a, address: 127.0.0.1:7001, memory_mb: " +
         std::to_string(mem_a) +
         "}\n"
         "  - {name: b, address: 127.0.0.1:7002, memory_mb: " +
         std::to_string(mem_b) +
         "}\n"
         "  - {name: c, address: 127.0.0.1:7003, memory_mb: " +
         std::to_string(mem_c) +
         "}\n"
         "model: {synthetic: vit-base, dtype: f32}\n"
         "partition: auto\n"
         "quantization:\n"
         "  bits: 0\n"
         "  overrides:\n"
         "    - {from: a, to: b, bits: 8}\n"
         "links:\n"
         "  rate_mbps: 10\n"
         "  overrides:\n"
         "    - {from: c, to: a, rate_mbps: unlimited}\n"
         "workload: {synthetic: true, count: 8, microbatch: 4}\n";
}

struct fixture {
  config::topology topo;
  ops::model_descriptor model = ops::model_descriptor::vit(*ops::named_vit_config("vit-base"));
  planner::instance inst;
};

fixture make(int mem_a, int mem_b, int mem_c, const std::vector<std::vector<double>>& times = {}) {
  fixture f;
  auto topo = config::parse_topology(topology_yaml(mem_a, mem_b, mem_c), "t.yaml");
  EXPECT_TRUE(topo) << topo.error().message;
  if (topo) f.topo = *topo;
  auto inst = cli::auto_instance(f.topo, f.model, std::vector<cli::node_resources>(3), 4, times);
  EXPECT_TRUE(inst) << inst.error().message;
  if (inst) f.inst = *inst;
  return f;
}

TEST(AutoInstance, LinkRatesAreMegabitsOfTenToTheSix) {
  fixture f = make(0, 0, 0);
  ASSERT_EQ(f.inst.num_devices(), 3);
  // 10 Mbit/s in the topology is 10^7 bit/s: the planner's send time of a
  // frame must be its bits / 10^7 s (the old code planned 2^20-bit megabits).
  const int layer = 6; // [T, D] residual stream out
  const int64_t elements = 4 * f.model.layer(layer).output_elements();
  const double a_to_b = planner::frame_bytes(elements, 8) * 8 / 1e7;
  const double b_to_c = planner::frame_bytes(elements, 0) * 8 / 1e7;
  EXPECT_DOUBLE_EQ(planner::send_time(f.inst, layer, 0, 1), a_to_b);
  EXPECT_DOUBLE_EQ(planner::send_time(f.inst, layer, 1, 2), b_to_c);
  EXPECT_DOUBLE_EQ(cli::from_planner_mbps(cli::to_planner_mbps(10)), 10);
  EXPECT_DOUBLE_EQ(cli::to_planner_mbps(1.048576), 1.0);
  EXPECT_GE(f.inst.link_mbps[2 * 3 + 0], cli::unlimited_planner_mbps); // c -> a
}

TEST(AutoInstance, SizesAndWeightsComeFromTheDescriptor) {
  fixture f = make(0, 0, 0);
  ASSERT_EQ(f.inst.layers, 48);
  EXPECT_EQ(f.inst.parameters_in, 3 * 224 * 224);
  int64_t total = 0;
  for (int l = 1; l <= 48; ++l) {
    EXPECT_EQ(f.inst.parameters_out[l - 1], f.model.layer(l).output_elements());
    EXPECT_DOUBLE_EQ(f.inst.mem_mb[l - 1],
                     f.model.layer(l).weight_bytes(ops::dtype::f32) / 1048576.0);
    total += f.model.layer(l).parameters();
  }
  EXPECT_EQ(total, 86567656); // ViT-Base/16 with a 1000-class head, as PyTorch counts it
  // No times measured: estimated from FLOPs, so proportional to them.
  EXPECT_DOUBLE_EQ(f.inst.devices[0].time_s[6] / f.inst.devices[0].time_s[7],
                   f.model.layer(7).flops / f.model.layer(8).flops);
}

// int8 (and bf16) change the estimate's speed and the weights: the FLOP
// estimate runs 3x (2x) faster than f32's, the memory is the descriptor's at
// that dtype.
TEST(AutoInstance, DtypeScalesEstimatedTimesAndWeights) {
  fixture f = make(0, 0, 0);
  for (auto [name, dt, speedup] :
       {std::tuple<const char*, ops::dtype, double>{"int8", ops::dtype::int8, 3.0},
        {"bf16", ops::dtype::bf16, 2.0}}) {
    config::topology topo = f.topo;
    topo.model.dtype = name;
    auto inst = cli::auto_instance(topo, f.model, std::vector<cli::node_resources>(3), 4, {});
    ASSERT_TRUE(inst) << inst.error().message;
    double f32_mb = 0, mb = 0;
    for (int l = 1; l <= 48; ++l) {
      EXPECT_DOUBLE_EQ(inst->devices[1].time_s[l - 1] * speedup, f.inst.devices[1].time_s[l - 1])
          << name << " layer " << l;
      EXPECT_DOUBLE_EQ(inst->mem_mb[l - 1], f.model.layer(l).weight_bytes(dt) / 1048576.0)
          << name << " layer " << l;
      f32_mb += f.inst.mem_mb[l - 1];
      mb += inst->mem_mb[l - 1];
    }
    // Matmul weights dominate: int8 about 1/4 of f32 (+ f32 biases, norms,
    // scales), bf16 about 1/2.
    EXPECT_LT(mb, f32_mb * (dt == ops::dtype::int8 ? 0.3 : 0.55)) << name;
  }
}

TEST(AutoInstance, NoPlanFitsIsAnErrorThatSaysByHowMuch) {
  fixture f = make(100, 100, 50); // ViT-Base needs about 330 MB of f32 weights
  auto best = planner::optimal_partition(f.inst);
  ASSERT_FALSE(best);
  ASSERT_EQ(best.error().code, errc::infeasible);
  error e = cli::no_plan_error(f.inst, f.model, best.error());
  EXPECT_EQ(e.code, errc::infeasible);
  const double need = f.model.weight_bytes(1, 48, ops::dtype::f32) / 1048576.0;
  const std::string need_text = std::to_string(static_cast<long long>(std::lround(need)));
  const std::string short_text = std::to_string(static_cast<long long>(std::lround(need - 250)));
  EXPECT_NE(e.message.find("the model needs " + need_text + " MB of weights"), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("the nodes offer 250 MB in all (a 100, b 100, c 50), " + short_text +
                           " MB short"),
            std::string::npos)
      << e.message;
  int largest = 1; // weights + activation buffers of one layer alone
  for (int l = 2; l <= 48; ++l)
    if (planner::memory_required_bytes(f.inst, l, l) >
        planner::memory_required_bytes(f.inst, largest, largest))
      largest = l;
  EXPECT_EQ(largest, 3); // fc1's output [T, I] + the residual, four times over in buffers
  EXPECT_NE(e.message.find("(layer 3, block 1 MLP in (LN + fc1 + GELU))"), std::string::npos)
      << e.message;
}

TEST(PlanReport, ExplainsEachStageAgainstHandComputedValues) {
  std::vector<double> times(48, 0.001); // 1 ms per layer on a, 2 ms on b, 0.5 ms on c
  std::vector<std::vector<double>> per_node = {times, times, times};
  for (double& t : per_node[1]) t = 0.002;
  for (double& t : per_node[2]) t = 0.0005;
  fixture f = make(200, 0, 200, per_node);
  std::vector<planner::stage> stages(3);
  stages[0] = {0, 1, 20};
  stages[1] = {1, 21, 30};
  stages[2] = {2, 31, 48};
  auto r = cli::explain_plan(f.inst, stages);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->stages.size(), 3u);
  const int64_t out20 = 4 * f.model.layer(20).output_elements();
  const int64_t out30 = 4 * f.model.layer(30).output_elements();
  EXPECT_EQ(r->stages[0].node, "a");
  EXPECT_NEAR(r->stages[0].compute_ms, 20.0, 1e-9);
  EXPECT_DOUBLE_EQ(r->stages[0].send_ms, planner::frame_bytes(out20, 8) * 8 / 1e7 * 1e3);
  EXPECT_EQ(r->stages[0].bits, 8);
  EXPECT_DOUBLE_EQ(r->stages[0].link_mbps, 10);
  EXPECT_NEAR(r->stages[1].compute_ms, 20.0, 1e-9);
  EXPECT_DOUBLE_EQ(r->stages[1].send_ms, planner::frame_bytes(out30, 0) * 8 / 1e7 * 1e3);
  EXPECT_EQ(r->stages[1].limit_mb, 0); // b: no limit
  EXPECT_EQ(r->stages[2].send_ms, 0);  // the last stage feeds the sink
  EXPECT_NEAR(r->stages[2].compute_ms, 9.0, 1e-9);
  EXPECT_NEAR(r->stages[2].weights_mb, f.model.weight_bytes(31, 48, ops::dtype::f32) / 1048576.0,
              1e-9);
  EXPECT_EQ(r->stages[2].limit_mb, 200);
  EXPECT_GT(r->stages[2].memory_mb, r->stages[2].weights_mb); // + activation buffers
  // The fp32 send of stage 1 (about 2.4 MB at 10 Mbit/s) is the slowest step.
  EXPECT_EQ(r->bottleneck, 1);
  EXPECT_DOUBLE_EQ(r->period_ms, r->stages[1].send_ms);

  auto lines = cli::report_lines(*r);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find("layers   1..20"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("(8-bit, 10.0 Mbit/s)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("<- bottleneck"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("(to the sink)"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("of 200 MB"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3].rfind("period ", 0), 0u) << lines[3];
  auto j = cli::report_json(*r);
  EXPECT_EQ(j["stages"].size(), 3u);
  EXPECT_EQ(j["stages"][1]["node"], "b");
  EXPECT_EQ(j["bottleneck"], 1);
  EXPECT_DOUBLE_EQ(j["period_ms"].get<double>(), r->period_ms);
}

TEST(PlanReport, AStageThatDoesNotFitIsAnError) {
  fixture f = make(100, 0, 0);
  auto r = cli::explain_plan(f.inst, {{0, 1, 48}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("memory"), std::string::npos) << r.error().message;
}

} // namespace
