// Every example topology under examples/ loads and validates against its
// model and data set: what `edgepipe run` checks before it starts anything.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {
namespace {

namespace fs = std::filesystem;

// examples/**/topology.yaml and examples/**/*.topology.yaml
std::vector<std::string> example_topologies() {
  std::vector<std::string> out;
  fs::path root = fs::path(EDGEPIPE_SOURCE_DIR) / "examples";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::string name = entry.path().filename().string();
    bool topology_file = name == "topology.yaml" ||
                         (name.size() > 14 && name.substr(name.size() - 14) == ".topology.yaml");
    if (entry.is_regular_file() && topology_file) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ExampleTopologies, EveryExampleValidates) {
  std::vector<std::string> files = example_topologies();
  ASSERT_GE(files.size(), 2u);
  for (const std::string& file : files) {
    expected<topology> topo = load_and_validate(file);
    ASSERT_TRUE(topo) << file << ": " << topo.error().message;
    expected<int> layers = model_layer_count(topo->model);
    ASSERT_TRUE(layers) << layers.error().message;
    // A fixed partition (explicit or even) covers the model exactly.
    if (!topo->partition.automatic) {
      ASSERT_FALSE(topo->partition.stages.empty()) << file;
      EXPECT_EQ(topo->partition.stages.front().first, 1) << file;
      EXPECT_EQ(topo->partition.stages.back().last, *layers) << file;
    }
  }
}

TEST(ExampleTopologies, Local3IsThreeLocalStagesOverTheShippedModel) {
  std::string file = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/local-3/topology.yaml";
  expected<topology> topo = load_and_validate(file);
  ASSERT_TRUE(topo) << topo.error().message;
  ASSERT_EQ(topo->nodes.size(), 3u);
  for (const node_spec& node : topo->nodes) {
    EXPECT_TRUE(node.start_locally);
    EXPECT_EQ(node.host, "127.0.0.1");
  }
  EXPECT_EQ(fs::path(topo->model.dir).filename(), "fashion-vit");
  EXPECT_EQ(topo->partition.stages.size(), 3u);
  EXPECT_EQ(topo->workload.dataset, "/usr/share/datasets/fashion-mnist");
}

TEST(ExampleTopologies, Hetero4IsFourUnequalNodesWithAutoPartition) {
  std::string file = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/hetero-4/topology.yaml";
  expected<topology> topo = load_topology(file);
  ASSERT_TRUE(topo) << topo.error().message;
  ASSERT_EQ(topo->nodes.size(), 4u);
  EXPECT_TRUE(topo->partition.automatic);
  std::vector<int> threads;
  std::vector<int64_t> memory;
  for (const node_spec& node : topo->nodes) {
    threads.push_back(node.threads);
    memory.push_back(node.memory_mb);
  }
  EXPECT_NE(*std::min_element(threads.begin(), threads.end()),
            *std::max_element(threads.begin(), threads.end()));
  EXPECT_NE(*std::min_element(memory.begin(), memory.end()),
            *std::max_element(memory.begin(), memory.end()));
  // The plan's second link follows the CSV trace beside the topology; the
  // others run at the default fixed rate.
  link_settings traced = settings_for_link(*topo, 1, "medium", "small");
  EXPECT_EQ(traced.bandwidth.kind, bandwidth_kind::trace);
  EXPECT_EQ(traced.bandwidth.trace.size(), 6u);
  EXPECT_TRUE(traced.bandwidth.repeat);
  EXPECT_EQ(traced.quant.mode, quant_mode::adaptive);
  link_settings first = settings_for_link(*topo, 0, "big", "medium");
  EXPECT_EQ(first.bandwidth.kind, bandwidth_kind::fixed);
  EXPECT_EQ(first.quant.mode, quant_mode::fixed);
  EXPECT_EQ(first.quant.bits, 8);
}

} // namespace
} // namespace edgepipe::config
