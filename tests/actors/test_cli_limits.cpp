// `edgepipe run` on limits a user can hit by mistake: more stage threads than
// the machine's cores is a warning on stderr (the run goes on); a link too
// slow for a frame to cross within request_timeout_s is an error before any
// node is started.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/thread_warnings.hpp"
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
  std::string one_local_node(int threads) {
    return "nodes:\n"
           "  - name: solo\n"
           "    address: 127.0.0.1:0\n"
           "    start_locally: true\n"
           "    threads: " +
           std::to_string(threads) +
           "\n"
           "model: {dir: .}\n"
           "partition: [{node: solo, layers: [1, 8]}]\n"
           "workload: {synthetic: true, count: 2}\n";
  }
  test::temp_dir dir;
};

TEST_F(CliLimitsTest, DryRunWarnsAboutMoreThreadsThanCores) {
  const int cores = config::cores_here();
  if (cores >= 1024) GTEST_SKIP() << "this machine has 1024 cores or more";
  const int threads = cores + 1;
  std::string path = write_topology(one_local_node(threads));
  auto r = test::run_edgepipe({"run", path, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("edgepipe run: warning: " + path + ":2:5: node solo: threads " +
                       std::to_string(threads) + " > " + std::to_string(cores) +
                       " cores on this machine"),
            std::string::npos)
      << r.err;
  // The same node within the cores: no warning.
  auto fits = test::run_edgepipe({"run", write_topology(one_local_node(1)), "--dry-run"});
  ASSERT_EQ(fits.exit_code, 0) << fits.err;
  EXPECT_EQ(fits.err.find("warning"), std::string::npos) << fits.err;
}

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
