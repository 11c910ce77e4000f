// More threads than cores: a warning for each node `edgepipe run` starts
// itself, none for remote nodes (they warn themselves) or nodes that fit.
#include <gtest/gtest.h>

#include "config/thread_warnings.hpp"

namespace edgepipe::config {
namespace {

TEST(ThreadWarnings, OnlyLocalNodesOverTheCoresAreWarnedAbout) {
  auto topo = parse_topology("nodes:\n"
                             "  - {name: big, address: 127.0.0.1:0, start_locally: true, "
                             "threads: 1024}\n"
                             "  - {name: fits, address: 127.0.0.1:0, start_locally: true, "
                             "threads: 2}\n"
                             "  - {name: remote, address: pi:7000, threads: 64}\n"
                             "model: {synthetic: vit-base}\n"
                             "workload: {synthetic: true, count: 1}\n",
                             "t.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  std::vector<std::string> warnings = local_thread_warnings(*topo, 2);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "t.yaml:2:5: node big: threads 1024 > 2 cores on this machine; its "
                         "stages will share them and run slower (expected threads <= 2)");
  EXPECT_TRUE(local_thread_warnings(*topo, 1024).empty());
  EXPECT_EQ(local_thread_warnings(*topo, 1).size(), 2u);
}

TEST(ThreadWarnings, CoresHereIsAtLeastOne) {
  EXPECT_GE(cores_here(), 1);
}

} // namespace
} // namespace edgepipe::config
