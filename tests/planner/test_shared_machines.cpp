// cli/shared_machines: the plan report's lines for stage processes that
// share a machine's cores, against the arithmetic of processor sharing.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>

#include "cli/auto_instance.hpp"
#include "cli/shared_machines.hpp"
#include "config/topology.hpp"

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
