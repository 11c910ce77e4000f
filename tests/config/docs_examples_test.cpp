// Every ```yaml example in docs/topology.md parses: a fragment that shows one
// section is completed with the sections it lacks from a small base file.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {
namespace {

// Base sections, by top-level key. Three nodes so that examples may use
// after_stage up to 1; the names are the ones the document uses.
const std::vector<std::pair<std::string, std::string>> base_sections = {
    {"nodes", "nodes:\n"
              "  - {name: gateway, address: 127.0.0.1:0, start_locally: true}\n"
              "  - {name: camera-7, address: 10.0.0.7:7000}\n"
              "  - {name: relay, address: 10.0.0.8:7000}\n"},
    {"model", "model: {synthetic: vit-base}\n"},
    {"workload", "workload: {synthetic: true, count: 8}\n"},
};

std::vector<std::string> yaml_blocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

// Keys written at column 1 ("nodes:", "partition: auto").
std::set<std::string> top_level_keys(const std::string& yaml) {
  std::set<std::string> keys;
  std::istringstream in(yaml);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-') continue;
    size_t colon = line.find(':');
    if (colon != std::string::npos) keys.insert(line.substr(0, colon));
  }
  return keys;
}

TEST(DocsExamples, EveryYamlExampleParses) {
  std::ifstream file(std::string(EDGEPIPE_SOURCE_DIR) + "/docs/topology.md");
  ASSERT_TRUE(file) << "docs/topology.md not found";
  std::stringstream text;
  text << file.rdbuf();
  std::vector<std::string> blocks = yaml_blocks(text.str());
  ASSERT_GE(blocks.size(), 15u); // one or more per feature

  // Relative paths in the examples (trace files) resolve against hetero-4,
  // which ships wifi-trace.csv.
  std::string base_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/hetero-4";
  for (size_t i = 0; i < blocks.size(); ++i) {
    std::set<std::string> keys = top_level_keys(blocks[i]);
    std::string doc = blocks[i];
    for (const auto& section : base_sections)
      if (!keys.count(section.first)) doc += section.second;
    expected<topology> topo = parse_topology(doc, "docs-example-" + std::to_string(i), base_dir);
    ASSERT_TRUE(topo) << "example " << i << ":\n" << blocks[i] << topo.error().message;
    if (topo->model.is_synthetic()) {
      expected<int> layers = model_layer_count(topo->model);
      ASSERT_TRUE(layers);
      EXPECT_TRUE(validate(*topo, *layers)) << "example " << i << ":\n" << blocks[i];
    }
  }
}

} // namespace
} // namespace edgepipe::config
