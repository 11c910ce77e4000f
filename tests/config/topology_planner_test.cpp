// The `planner:` section (re-planning while running): defaults when absent,
// every key read, and each mistake an error at file:line:col of the value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {
namespace {

// A valid topology without a planner section (13 lines); cases append to it.
const std::string base = "nodes:\n"
                         "  - {name: a, address: h:1}\n"
                         "  - {name: b, address: h:2}\n"
                         "model: {synthetic: vit-base}\n"
                         "partition: auto\n"
                         "workload: {synthetic: true, count: 8}\n";

TEST(TopologyPlanner, AbsentMeansTodaysBehaviour) {
  expected<topology> topo = parse_topology(base, "t.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  const planner_spec& p = topo->planner;
  EXPECT_FALSE(p.replan);
  EXPECT_EQ(p.margin, 0.1);
  EXPECT_EQ(p.hysteresis, 0.15);
  EXPECT_EQ(p.target_images_per_s, 0);
  EXPECT_EQ(p.min_interval_s, 5);
  EXPECT_EQ(p.switch_cost_s, 0.5);
  EXPECT_EQ(p.pos.line, 0); // not from the file
}

TEST(TopologyPlanner, EveryKeyIsRead) {
  expected<topology> topo = parse_topology(base + "planner:\n"
                                                  "  replan: true\n"
                                                  "  margin: 0.25\n"
                                                  "  hysteresis: 0.3\n"
                                                  "  target_images_per_s: 120\n"
                                                  "  min_interval_s: 2.5\n"
                                                  "  switch_cost_s: 0\n",
                                           "t.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  const planner_spec& p = topo->planner;
  EXPECT_TRUE(p.replan);
  EXPECT_EQ(p.margin, 0.25);
  EXPECT_EQ(p.hysteresis, 0.3);
  EXPECT_EQ(p.target_images_per_s, 120);
  EXPECT_EQ(p.min_interval_s, 2.5);
  EXPECT_EQ(p.switch_cost_s, 0);
  EXPECT_EQ(p.pos.str(), "t.yaml:8:3");
}

TEST(TopologyPlanner, KeysNotGivenKeepTheirDefaults) {
  expected<topology> topo = parse_topology(base + "planner: {replan: true}\n", "t.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_TRUE(topo->planner.replan);
  EXPECT_EQ(topo->planner.margin, 0.1);
  EXPECT_EQ(topo->planner.min_interval_s, 5);
}

struct bad_case {
  const char* line; // appended as line 7
  const char* position;
  std::vector<std::string> fragments;
};

TEST(TopologyPlanner, MistakesAreErrorsAtTheValue) {
  const std::vector<bad_case> cases = {
      {"planner: {replan: yes please}", "7:19", {"planner.replan", "expected true or false"}},
      {"planner: {replann: true}",
       "7:11",
       {"unknown key 'replann' in planner", "did you mean 'replan'", "switch_cost_s"}},
      {"planner: {min_interval: 3}",
       "7:11",
       {"unknown key 'min_interval' in planner", "did you mean 'min_interval_s'"}},
      {"planner: {margin: -0.1}", "7:19", {"planner.margin", "expected a number >= 0", "-0.1"}},
      {"planner: {margin: 11}", "7:19", {"planner.margin", "fraction 0..10", "11"}},
      {"planner: {margin: lots}", "7:19", {"planner.margin", "expected a number", "'lots'"}},
      {"planner: {hysteresis: 1}", "7:23", {"planner.hysteresis", "< 1", "got 1"}},
      {"planner: {hysteresis: -0.5}", "7:23", {"planner.hysteresis", ">= 0"}},
      {"planner: {target_images_per_s: -3}", "7:32", {"planner.target_images_per_s", ">= 0"}},
      {"planner: {target_images_per_s: [1]}", "7:32", {"expected a number", "a list"}},
      {"planner: {min_interval_s: -1}", "7:27", {"planner.min_interval_s", ">= 0"}},
      {"planner: {switch_cost_s: .inf}", "7:26", {"planner.switch_cost_s", "expected a number"}},
      {"planner: {switch_cost_s: -2}", "7:26", {"planner.switch_cost_s", ">= 0", "-2"}},
      {"planner: true", "7:10", {"expected planner as a mapping", "'true'"}},
      {"planner: {margin: 0.1, margin: 0.2}", "7:24", {"key 'margin' given twice in planner"}},
      {"planer: {replan: true}", "7:1", {"unknown key 'planer' in topology", "'planner'"}},
  };
  for (const bad_case& c : cases) {
    SCOPED_TRACE(c.line);
    expected<topology> topo = parse_topology(base + c.line + "\n", "bad.yaml");
    ASSERT_FALSE(topo) << "parsed but should not have";
    EXPECT_EQ(topo.error().code, errc::invalid_input);
    const std::string& message = topo.error().message;
    EXPECT_EQ(message.rfind(std::string("bad.yaml:") + c.position + ": ", 0), 0u) << message;
    for (const std::string& f : c.fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "missing '" << f << "' in: " << message;
  }
}

} // namespace
} // namespace edgepipe::config
