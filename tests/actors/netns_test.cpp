// examples/netns-3/run.sh end to end, on a network the kernel shapes: three
// network namespaces with one `edgepipe node` each, the link leaving stage 0
// held to a fixed rate by a tc tbf qdisc, fp32 activations on the wire. Root
// only (CI runs as root); skipped with the reason otherwise.
//
// What must hold:
//  - every request is answered once (exit code 0, lost == 0, duplicates == 0);
//  - the kernel shaped the link: the activation bytes that crossed it during
//    the run (images x tokens x hidden x 4, headers not even counted) are at
//    most what a token bucket of that rate and depth lets through in the
//    run's time, rate x elapsed + bucket + one packet. Unshaped, the same run
//    moves them about ten times faster;
//  - those bytes went through the tbf (its byte counter is at least that);
//  - nothing is left behind: the run's namespaces are gone and every node
//    logged its orderly stop.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include "test_support.hpp"

namespace {

const std::string netns_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/netns-3";

// bash SCRIPT ARGS..., output captured. Past the timeout it gets SIGTERM (its
// trap cleans up), and SIGKILL 15 s later.
edgepipe::test::run_output run_script(const std::vector<std::string>& args, int timeout_s) {
  return edgepipe::test::run_program("bash", args, timeout_s, 15);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

bool namespaces_left(const std::string& id) {
  auto r = run_script({"-c", "ip netns list | grep -q '^ep-" + id + "-'"}, 10);
  return r.exit_code == 0;
}

// Removes whatever the run left, however it ended.
struct netns_guard {
  std::string id;
  ~netns_guard() { run_script({netns_dir + "/netns.sh", "cleanup", id}, 60); }
};

TEST(NetnsRun, KernelShapedLinkBoundsThroughputAndEveryRequestIsAnswered) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces and tc qdiscs)";
  auto check = run_script({netns_dir + "/netns.sh", "check"}, 10);
  if (check.exit_code != 0) GTEST_SKIP() << "netns.sh check: " << check.err;

  // The shipped model's activation between stages: (image/patch)^2 + 1
  // tokens of `hidden` float32 values per image.
  auto cfg = nlohmann::json::parse(
      read_text(std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit/config.json"));
  const double patches_per_side = cfg["image_size"].get<double>() / cfg["patch_size"].get<int>();
  const double tokens = patches_per_side * patches_per_side + 1;
  const double activation_bytes = tokens * cfg["hidden_size"].get<int>() * 4;

  const double rate_mbit = 8;
  const double burst_bytes = 64 * 1024;
  const double packet_bytes = 1514; // tbf lets one packet through once the tokens cover it
  const int images = 400;
  edgepipe::test::temp_dir work;
  netns_guard guard{"gt" + std::to_string(getpid())};
  auto r = run_script({netns_dir + "/run.sh",
                       "--id",
                       guard.id,
                       "--rate",
                       "8",
                       "--burst-kb",
                       "64",
                       "--bits",
                       "0",
                       "--synthetic",
                       "--count",
                       std::to_string(images),
                       "--microbatch",
                       "16",
                       "--window",
                       "2",
                       "--keep",
                       work.path,
                       "--edgepipe",
                       EDGEPIPE_BINARY,
                       "--json",
                       "--quiet"},
                      50);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  auto j = nlohmann::json::parse(edgepipe::test::last_line(r.out));
  EXPECT_EQ(j["lost"].get<int>(), 0);
  EXPECT_EQ(j["duplicates"].get<int>(), 0);
  EXPECT_EQ(j["answered"], j["requests"]);
  ASSERT_EQ(j["images"].get<int>(), images);
  ASSERT_EQ(j["plan"][0]["bits_out"].get<int>(), 0) << "the shaped link must carry fp32";

  const double elapsed_s = images / j["images_per_s"].get<double>();
  const double payload_bits = images * activation_bytes * 8;
  const double bucket_bits = rate_mbit * 1e6 * elapsed_s + (burst_bytes + packet_bytes) * 8;
  EXPECT_LE(payload_bits, bucket_bits)
      << images << " images of " << activation_bytes << " B crossed an " << rate_mbit
      << " Mbit/s link in " << elapsed_s << " s: " << payload_bits / elapsed_s / 1e6 << " Mbit/s";

  std::smatch m;
  std::regex sent("tbf on the link leaving stage 0: sent ([0-9]+) bytes");
  ASSERT_TRUE(std::regex_search(r.err, m, sent)) << r.err;
  EXPECT_GE(std::stod(m[1].str()), images * activation_bytes) << "the frames bypassed the tbf";

  EXPECT_FALSE(namespaces_left(guard.id));
  for (const char* node : {"n0", "n1", "n2"})
    EXPECT_NE(read_text(work.path + "/node-" + node + ".log").find("stopped"), std::string::npos)
        << node << " was not stopped in order";
}

} // namespace
