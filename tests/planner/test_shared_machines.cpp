// cli/shared_machines: the plan report's lines for stage processes that
// share a machine's cores, against the arithmetic of processor sharing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "cli/auto_instance.hpp"
#include "cli/shared_machines.hpp"
#include "config/topology.hpp"
#include "planner/partition.hpp"

using namespace edgepipe;

namespace {

// Three nodes, unlimited links, synthetic ViT-Base (48 layers), 1 ms per
// layer on every node; stages of 16 layers: 16 ms of compute each.
planner::instance three_equal_stages() {
  const char* yaml = "nodes:\n"
                     "  - {name: a, address: 127.0.0.1:7001}\n"
                     "  - {name: b, address: 127.0.0.1:7002}\n"
                     "  - {name: c, address: 127.0.0.1:7003}\n"
                     "model: {synthetic: vit-base}\n"
                     "partition: even\n"
                     "quantization: {bits: 8}\n"
                     "links: {rate_mbps: unlimited}\n"
                     "workload: {synthetic: true, count: 8, microbatch: 4}\n";
  auto topo = config::parse_topology(yaml, "t.yaml");
  EXPECT_TRUE(topo) << topo.error().message;
  auto model = ops::model_descriptor::vit(*ops::named_vit_config("vit-base"));
  std::vector<std::vector<double>> times(3, std::vector<double>(48, 0.001));
  auto inst = cli::auto_instance(*topo, model, std::vector<cli::node_resources>(3), 4, times);
  EXPECT_TRUE(inst) << inst.error().message;
  return inst ? *inst : planner::instance{};
}

const std::vector<planner::stage> stages = {{0, 1, 16}, {1, 17, 32}, {2, 33, 48}};

// The two rates of the "simulated: ..." line: {shared, a core per thread}.
std::pair<double, double> simulated_rates(const std::string& line) {
  double shared = -1, own = -1;
  EXPECT_EQ(std::sscanf(line.c_str(),
                        "simulated: %lf images/s with the shared cores, %lf with a core per thread",
                        &shared, &own),
            2)
      << line;
  return {shared, own};
}

} // namespace

TEST(SharedMachines, ThreeStagesOnTwoCoresRunAtTwoThirdsOfTheirOwnSpeed) {
  auto inst = three_equal_stages();
  std::vector<cli::machine_of_node> nodes(3, {"local", 2, 1});
  auto lines = cli::shared_machine_lines(inst, stages, nodes, 2, 4);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "machine local (2 cores): stages 0, 1, 2 share it (3 threads)");
  auto [shared, own] = simulated_rates(lines[1]);
  // 48 ms of compute per microbatch of 4 on 2 cores: 24 ms, 166.7 images/s;
  // a core each: the 16 ms stage, 250. The fill and drain of 256
  // microbatches cost about 1%.
  EXPECT_NEAR(shared, 4 / 0.024, 0.02 * 4 / 0.024);
  EXPECT_NEAR(own, 4 / 0.016, 0.02 * 4 / 0.016);
  EXPECT_LT(shared, 0.7 * own);
}

TEST(SharedMachines, NothingToSayWhenEveryStageHasAMachineOfItsOwn) {
  auto inst = three_equal_stages();
  std::vector<cli::machine_of_node> nodes = {{"x", 2, 1}, {"y", 2, 1}, {"z", 2, 1}};
  EXPECT_TRUE(cli::shared_machine_lines(inst, stages, nodes, 2, 4).empty());
  // Two of three on one 2-core machine: it has a core for each of them.
  nodes[1].machine = "x";
  auto lines = cli::shared_machine_lines(inst, stages, nodes, 2, 4);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "machine x (2 cores): stages 0, 1 share it (2 threads)");
  auto [shared, own] = simulated_rates(lines[1]);
  EXPECT_GT(shared, 0);
  EXPECT_DOUBLE_EQ(shared, own);
}

TEST(SharedMachines, FactorsAreThreadsOverCoresWhenTheMachineIsShort) {
  std::vector<cli::machine_of_node> nodes = {
      {"local", 2, 1}, {"local", 2, 2}, {"board", 4, 1}, {"board", 4, 2}, {"phone", 0, 8}};
  // local: 3 threads on 2 cores; board: 3 on 4 (room for all); phone: cores unknown.
  EXPECT_EQ(cli::sharing_factors(nodes), (std::vector<double>{1.5, 1.5, 1.0, 1.0, 1.0}));
}

TEST(SharedMachines, AutoPlansGiveANodeAloneOnItsMachineMoreLayers) {
  // Three nodes on one 2-core machine, a fourth alone on its own; 1 ms per
  // layer everywhere. A core per thread, 12 layers each is optimal; planned
  // for the sharing (the three at 1.5 ms a layer), the lone node takes more.
  const char* yaml = "nodes:\n"
                     "  - {name: a, address: 127.0.0.1:7001}\n"
                     "  - {name: b, address: 127.0.0.1:7002}\n"
                     "  - {name: c, address: 127.0.0.1:7003}\n"
                     "  - {name: d, address: 10.0.0.9:7004}\n"
                     "model: {synthetic: vit-base}\n"
                     "partition: auto\n"
                     "quantization: {bits: 8}\n"
                     "links: {rate_mbps: unlimited}\n"
                     "workload: {synthetic: true, count: 8, microbatch: 4}\n";
  auto topo = config::parse_topology(yaml, "t.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  auto model = ops::model_descriptor::vit(*ops::named_vit_config("vit-base"));
  std::vector<std::vector<double>> times(4, std::vector<double>(48, 0.001));
  auto inst = cli::auto_instance(*topo, model, std::vector<cli::node_resources>(4), 4, times);
  ASSERT_TRUE(inst) << inst.error().message;
  std::vector<cli::machine_of_node> nodes;
  for (const auto& n : topo->nodes) nodes.push_back({n.machine, n.machine == "local" ? 2 : 4, 1});
  const auto factors = cli::sharing_factors(nodes);
  ASSERT_EQ(factors, (std::vector<double>{1.5, 1.5, 1.5, 1.0}));

  auto shared = planner::optimal_partition(cli::scaled_for_sharing(*inst, factors));
  ASSERT_TRUE(shared) << shared.error().message;
  int lone_layers = 0, most_shared_layers = 0;
  for (const auto& st : shared->best.stages) {
    const int n = st.last - st.first + 1;
    if (st.device == 3)
      lone_layers = n;
    else
      most_shared_layers = std::max(most_shared_layers, n);
  }
  EXPECT_GT(lone_layers, most_shared_layers);
  // Better than the even split under sharing (12 layers at 1.5 ms: 18 ms),
  // and no better than the bound 48 / (1 + 3 / 1.5) = 16 layer-ms.
  EXPECT_LT(shared->best.period_s, 0.018 - 1e-9);
  EXPECT_GE(shared->best.period_s, 0.016 - 1e-9);
}
