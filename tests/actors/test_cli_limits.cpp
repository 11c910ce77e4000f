// `edgepipe run` on limits a user can hit by mistake: a link too slow for a
// frame to cross within request_timeout_s is an error before any node is
// started.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace edgepipe;

namespace {

class CliLimitsTest : public ::testing::Test {
protected:
  void SetUp() override { test::write_tiny_model(dir.path); }
  std::string write_topology(const std::string& yaml) {
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, yaml);
    return path;
  }
  test::temp_dir dir;
};

TEST_F(CliLimitsTest, ALinkTooSlowForAFrameIsRefusedBeforeAnythingStarts) {
  // The tiny ViT's activation: 17 tokens x 32 values = 2,228 bytes raw; at
  // 1 kbit/s that is 17.8 s, more than the 5 s request timeout.
  std::string yaml = "nodes:\n"
                     "  - {name: p, address: 127.0.0.1:0, start_locally: true}\n"
                     "  - {name: q, address: 127.0.0.1:0, start_locally: true}\n"
                     "model: {dir: .}\n"
                     "partition: even\n"
                     "links: {rate_mbps: 0.001}\n"
                     "workload: {synthetic: true, count: 2}\n"
                     "runtime: {request_timeout_s: 5}\n";
  std::string path = write_topology(yaml);
  auto r = test::run_edgepipe({"run", path, "--dry-run"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(path + ":6:8: link p -> q (after stage 0): at 0.001 Mbit/s a frame of "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("longer than runtime.request_timeout_s (5 s)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("edgepipe node"), std::string::npos) << "a node was started:\n" << r.err;
}

} // namespace
