// `edgepipe run` end to end: it starts its own local node processes, runs a
// tiny model's pipeline, prints a JSON summary on the last line, and stops
// the nodes. Config errors are reported with file:line:col before anything
// is started: no node process runs (a started local node would print
// "edgepipe node NAME: stopped" on the shared stderr) and no remote node is
// contacted (a listening socket stands in for one and must see no connection).
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"

using namespace edgepipe;

namespace {

std::string local_nodes_yaml(std::initializer_list<const char*> names) {
  std::string y = "nodes:\n";
  for (const char* n : names)
    y += std::string("  - name: ") + n +
         "\n    address: 127.0.0.1:0\n    start_locally: true\n    threads: 1\n";
  return y;
}

class CliRunTest : public ::testing::Test {
protected:
  void SetUp() override { test::write_tiny_model(dir.path); }
  std::string write_topology(const std::string& yaml) {
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, yaml);
    return path;
  }
  test::temp_dir dir;
};

TEST_F(CliRunTest, RunsAThreeStagePipelineAndPrintsJson) {
  std::string yaml = "name: tiny-3\n" + local_nodes_yaml({"p", "q", "r"}) +
                     "model:\n  dir: .\n"
                     "partition:\n  - {node: p, layers: [1, 3]}\n  - {node: q, layers: [4, 6]}\n  "
                     "- {node: r, layers: [7, 8]}\n"
                     "quantization:\n  bits: 8\n"
                     "workload:\n  synthetic: true\n  count: 24\n  microbatch: 4\n  window: 2\n";
  auto r = test::run_edgepipe({"run", write_topology(yaml), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["requests"], 6);
  EXPECT_EQ(j["answered"], 6);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_TRUE(j["accuracy"].is_null());
  EXPECT_GT(j["images_per_s"].get<double>(), 0);
  EXPECT_GT(j["latency_ms"]["p99"].get<double>(), 0);
  EXPECT_LE(j["latency_ms"]["p50"].get<double>(), j["latency_ms"]["p99"].get<double>());
  ASSERT_EQ(j["plan"].size(), 3u);
  EXPECT_EQ(j["plan"][0]["node"], "p");
  EXPECT_EQ(j["plan"][0]["first"], 1);
  EXPECT_EQ(j["plan"][0]["last"], 3);
  EXPECT_EQ(j["plan"][0]["bits_out"], 8);
  EXPECT_EQ(j["plan"][2]["last"], 8);
  EXPECT_EQ(j["plan"][2]["bits_out"], 0);
  // The local nodes were stopped at the end.
  for (const char* n : {"p", "q", "r"})
    EXPECT_NE(r.err.find(std::string("edgepipe node ") + n + ": stopped"), std::string::npos)
        << r.err;
}

TEST_F(CliRunTest, AutoPartitionCoversTheModel) {
  // The nodes time the layers themselves; whatever the planner picks must
  // cover layers 1..8 in order, on distinct nodes, and answer everything.
  std::string yaml = "name: tiny-auto\n" + local_nodes_yaml({"u", "v"}) +
                     "model:\n  dir: .\npartition: auto\n"
                     "workload:\n  synthetic: true\n  count: 12\n  microbatch: 3\n";
  auto r = test::run_edgepipe({"run", write_topology(yaml), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["answered"], 4);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_NE(j["partition"].get<std::string>().find("measured"), std::string::npos)
      << j["partition"];
  int next = 1;
  std::set<std::string> used;
  for (const auto& st : j["plan"]) {
    EXPECT_EQ(st["first"], next);
    next = st["last"].get<int>() + 1;
    EXPECT_TRUE(used.insert(st["node"].get<std::string>()).second);
  }
  EXPECT_EQ(next, 9);
}

TEST_F(CliRunTest, AutoPartitionThatCannotFitIsAnErrorSayingByHowMuch) {
  // ViT-Base holds 330 MB of f32 weights; two nodes of 100 MB cannot: the run
  // stops with exit code 2 and says by how much (no silent even split).
  std::string yaml = "name: too-small\nnodes:\n";
  for (const char* n : {"u", "v"})
    yaml += std::string("  - {name: ") + n +
            ", address: 127.0.0.1:0, start_locally: true, memory_mb: 100}\n";
  yaml += "model:\n  synthetic: vit-base\npartition: auto\n"
          "workload:\n  synthetic: true\n  count: 2\n  microbatch: 1\n";
  auto r = test::run_edgepipe({"run", write_topology(yaml)});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no plan fits the nodes' memory: the model needs 330 MB of weights; the "
                       "nodes offer 200 MB in all (u 100, v 100), 130 MB short"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("even"), std::string::npos) << r.err;
}

// A TCP listener standing in for a remote node: it must never be contacted.
class fake_remote_node {
public:
  fake_remote_node() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 4);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~fake_remote_node() { close(fd_); }
  int port() const { return port_; }
  bool contacted() {
    int c = accept(fd_, nullptr, nullptr);
    if (c >= 0) close(c);
    return c >= 0;
  }

private:
  int fd_ = -1;
  int port_ = 0;
};

struct config_error_case {
  const char* what;
  std::string body;        // after the nodes
  std::string expected;    // in the message
  std::string extra_nodes; // more node entries
};

class ConfigErrorTest : public CliRunTest {
protected:
  void expect_rejected(const config_error_case& c) {
    fake_remote_node remote;
    std::string nodes =
        local_nodes_yaml({"loc-a", "loc-b"}) +
        "  - name: remote\n    address: 127.0.0.1:" + std::to_string(remote.port()) + "\n" +
        c.extra_nodes;
    std::string path = write_topology(nodes + c.body);
    auto r = test::run_edgepipe({"run", path, "--json"}, 60);
    EXPECT_EQ(r.exit_code, 2) << c.what << "\n" << r.err;
    EXPECT_NE(r.err.find(path + ":"), std::string::npos) << c.what << ": no file:line in\n"
                                                         << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos)
        << c.what << ": expected '" << c.expected << "' in\n"
        << r.err;
    EXPECT_EQ(r.err.find("listening"), std::string::npos) << c.what;
    EXPECT_EQ(r.err.find(": stopped"), std::string::npos)
        << c.what << ": a local node was started\n"
        << r.err;
    EXPECT_FALSE(remote.contacted()) << c.what << ": the remote node was contacted";
    EXPECT_TRUE(r.out.empty()) << c.what << ": printed results\n" << r.out;
  }
};

const std::string good_model = "model:\n  dir: .\n";
const std::string good_workload = "workload:\n  synthetic: true\n  count: 4\n";

TEST_F(ConfigErrorTest, UnknownKey) {
  expect_rejected({"unknown key", good_model + good_workload + "partition: even\nbogus_key: 1\n",
                   "bogus_key", ""});
}

TEST_F(ConfigErrorTest, WrongType) {
  expect_rejected(
      {"wrong type", good_model + "workload:\n  synthetic: true\n  count: many\n", "count", ""});
}

TEST_F(ConfigErrorTest, OverlappingRanges) {
  expect_rejected(
      {"overlap",
       good_model + good_workload +
           "partition:\n  - {node: loc-a, layers: [1, 5]}\n  - {node: loc-b, layers: [4, 8]}\n",
       "overlap", ""});
}

TEST_F(ConfigErrorTest, GapBetweenRanges) {
  expect_rejected(
      {"gap",
       good_model + good_workload +
           "partition:\n  - {node: loc-a, layers: [1, 3]}\n  - {node: loc-b, layers: [5, 8]}\n",
       "gap", ""});
}

TEST_F(ConfigErrorTest, RangeExceedsTheModel) {
  expect_rejected(
      {"exceeds model",
       good_model + good_workload +
           "partition:\n  - {node: loc-a, layers: [1, 4]}\n  - {node: loc-b, layers: [5, 12]}\n",
       "8", ""});
}

TEST_F(ConfigErrorTest, UnknownNode) {
  expect_rejected(
      {"unknown node",
       good_model + good_workload +
           "partition:\n  - {node: loc-a, layers: [1, 4]}\n  - {node: nowhere, layers: [5, 8]}\n",
       "nowhere", ""});
}

TEST_F(ConfigErrorTest, NodeListedTwice) {
  expect_rejected({"duplicate node", good_model + good_workload + "partition: even\n", "loc-a",
                   "  - name: loc-a\n    address: 127.0.0.1:0\n    start_locally: true\n"});
}

} // namespace

// A text workload: the shipped BERT over three local nodes, 8-bit links; the
// attention mask travels with every microbatch, so the pipeline classifies
// the sentences as the single-process float32 eval does (within two
// sentences of 8-bit noise).
TEST_F(CliRunTest, RunsTheShippedBertOnATextWorkload) {
  const std::string root = EDGEPIPE_SOURCE_DIR;
  std::string yaml = "name: text-3\n" + local_nodes_yaml({"p", "q", "r"}) +
                     "model:\n  dir: " + root + "/examples/models/text-bert\n" +
                     "partition: even\nquantization:\n  bits: 8\n"
                     "workload:\n  text: " +
                     root +
                     "/examples/data/langid-test.tsv\n"
                     "  count: 200\n  microbatch: 16\n";
  auto r = test::run_edgepipe({"run", write_topology(yaml), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["requests"], 13); // 200 texts in microbatches of 16
  EXPECT_EQ(j["answered"], 13);
  EXPECT_EQ(j["lost"], 0);
  auto eval =
      test::run_edgepipe({"eval", "--model", root + "/examples/models/text-bert", "--data",
                          root + "/examples/data/langid-test.tsv", "--limit", "200", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NEAR(j["accuracy"].get<double>(),
              nlohmann::json::parse(test::last_line(eval.out))["accuracy"].get<double>(), 0.011);
}
