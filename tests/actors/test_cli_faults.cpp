// `edgepipe run` while its nodes fail: real node processes (started here,
// so the test can kill, stop and restart them), the shipped Fashion-MNIST
// model over three nodes with float32 links, so that no re-partition can
// change a prediction:
//  - the middle node is killed (-9) mid-run and later restarted on its
//    address: the run re-plans over the survivors, replays, takes the node
//    back when it rejoins, and answers every request once, in order, with
//    `edgepipe eval`'s count of correct predictions (a repeat of an answered
//    microbatch, caused by a replay, is dropped by the sink, never delivered);
//  - the middle node is stopped (SIGSTOP) mid-run and resumed: the same;
//  - Ctrl-C (SIGINT) mid-run: the run stops, retires every stage it
//    deployed (a remote node is left with none), stops its local nodes, and
//    still prints its counts and JSON (exit code 130).
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include <sys/stat.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <nlohmann/json.hpp>

#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

const std::string& model_dir = test::fashion_model_dir;
const std::string& data_dir = test::fashion_data_dir;
const std::vector<std::string> roots = {model_dir}; // what the nodes started here serve

// The timeline the run streams, read as far as it is written.
std::vector<nlohmann::json> read_timeline(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

class CliFaultsTest : public ::testing::Test {
protected:
  void SetUp() override { EDGEPIPE_SKIP_WITHOUT_FASHION(); }

  // Polls the run's timeline until `done` holds for one of its records, or
  // the run ends (false then).
  bool wait_for(test::background_program& run,
                const std::function<bool(const nlohmann::json&)>& done, int timeout_s = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& r : read_timeline(timeline)) {
        if (done(r)) return true;
      }
      if (run.exited()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static bool answered_at_least(const nlohmann::json& r, int n) {
    return r.value("kind", "") == "throughput" && r.value("answered", 0) >= n;
  }
  static bool lost_note(const nlohmann::json& r, const std::string& node) {
    return r.value("kind", "") == "fault" &&
           r.value("text", "").find("'" + node + "' lost") != std::string::npos;
  }

  std::string topology(const std::vector<uint16_t>& ports, int images, int microbatch) {
    std::string y = "name: faults-3\nnodes:\n";
    const char* names[] = {"a", "b", "c"};
    for (size_t i = 0; i < ports.size(); ++i)
      y += std::string("  - {name: ") + names[i] +
           ", address: 127.0.0.1:" + std::to_string(ports[i]) + ", threads: 1}\n";
    y += "model:\n  dir: " + model_dir +
         "\n"
         "partition:\n  - {node: a, layers: [1, 8]}\n  - {node: b, layers: [9, 16]}\n"
         "  - {node: c, layers: [17, 24]}\n"
         "quantization:\n  bits: 0\n"
         // 100 Mbit/s: a float32 microbatch of 8 takes 8 ms per link, so
         // the run lasts seconds whatever else the machine does.
         "links:\n  rate_mbps: 100\n" +
         test::fashion_workload_yaml(images, microbatch) +
         "runtime:\n  heartbeat_interval_s: 0.25\n  heartbeat_timeout_s: 1.5\n"
         "  rejoin_interval_s: 0.25\n  run_timeout_s: 120\n";
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, y);
    return path;
  }

  // Every request answered once, in order, with the single model's
  // predictions; the fault on node b reported and repaired, b back in the
  // final plan.
  void expect_recovered(const test::run_output& r, int images, int microbatch,
                        const std::string& cause_word) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(test::last_line(r.out));
    const int requests = images / microbatch;
    EXPECT_EQ(j["requests"], requests);
    EXPECT_EQ(j["answered"], requests);
    EXPECT_EQ(j["lost"], 0);
    // A microbatch answered just before a switch may come again (its replay
    // was sent before the source heard of the answer): the sink drops such
    // repeats, so only a replay can cause one.
    EXPECT_LE(j["duplicates"].get<int>(), j["replayed"].get<int>());
    EXPECT_TRUE(j["given_up"].empty()) << j["given_up"];
    EXPECT_TRUE(j["failure"].is_null()) << j["failure"];
    EXPECT_GT(j["replayed"].get<int>(), 0);
    ASSERT_EQ(j["faults"].size(), 1u) << j.dump(2);
    const auto& f = j["faults"][0];
    EXPECT_EQ(f["node"], "b");
    EXPECT_NE(f["cause"].get<std::string>().find(cause_word), std::string::npos) << f["cause"];
    ASSERT_FALSE(f["recovery_epoch"].is_null()) << j.dump(2);
    EXPECT_FALSE(f["interruption_ms"].is_null()) << j.dump(2);
    EXPECT_FALSE(f["rejoined_t"].is_null()) << "b never rejoined: " << j.dump(2);
    // The recovery plan leaves b out; the last one (after the rejoin) is the
    // topology's again.
    const auto& changes = j["plan_changes"];
    int recovery = f["recovery_epoch"].get<int>();
    ASSERT_GE(changes.size(), 3u) << j.dump(2);
    for (const auto& c : changes) {
      if (c["epoch"] != recovery) continue;
      for (const auto& s : c["stages"]) EXPECT_NE(s["node"], "b") << c;
    }
    const auto& last = changes.back();
    EXPECT_NE(last["reason"].get<std::string>().find("rejoined"), std::string::npos) << last;
    ASSERT_EQ(last["stages"].size(), 3u);
    EXPECT_EQ(last["stages"][1]["node"], "b");
    EXPECT_EQ(std::lround(j["accuracy"].get<double>() * images),
              test::fashion_eval_correct(images, microbatch));
    std::printf("%s: interrupted %.0f ms, rejoined at %.2f s, replayed %d\n", cause_word.c_str(),
                f["interruption_ms"].get<double>(), f["rejoined_t"].get<double>(),
                j["replayed"].get<int>());
  }

  test::temp_dir dir;
  std::string timeline = dir.path + "/timeline.jsonl";
};

TEST_F(CliFaultsTest, MiddleNodeKilledThenRestartedOnItsAddress) {
  const int images = 8000, microbatch = 8;
  auto a = std::make_unique<test::node_process>("a", 1, roots);
  auto b = std::make_unique<test::node_process>("b", 1, roots);
  auto c = std::make_unique<test::node_process>("c", 1, roots);
  const uint16_t b_port = b->port();
  std::string path = topology({a->port(), b_port, c->port()}, images, microbatch);
  test::background_program run(EDGEPIPE_BINARY,
                               {"run", path, "--json", "--quiet", "--timeline", timeline});
  ASSERT_TRUE(wait_for(run, [](const auto& r) { return answered_at_least(r, 50); }))
      << "the run never answered 50 microbatches";
  b->kill_now();
  ASSERT_TRUE(wait_for(run, [](const auto& r) { return lost_note(r, "b"); }))
      << "the loss of b was never noted";
  b = std::make_unique<test::node_process>("b", 1, roots, b_port); // same address
  expect_recovered(run.wait(180), images, microbatch, "connection");
}

TEST_F(CliFaultsTest, MiddleNodeStoppedThenResumed) {
  const int images = 8000, microbatch = 8;
  test::node_process a("a", 1, roots), b("b", 1, roots), c("c", 1, roots);
  std::string path = topology({a.port(), b.port(), c.port()}, images, microbatch);
  test::background_program run(EDGEPIPE_BINARY,
                               {"run", path, "--json", "--quiet", "--timeline", timeline});
  ASSERT_TRUE(wait_for(run, [](const auto& r) { return answered_at_least(r, 50); }))
      << "the run never answered 50 microbatches";
  kill(b.pid(), SIGSTOP);
  bool noticed = wait_for(run, [](const auto& r) { return lost_note(r, "b"); });
  kill(b.pid(), SIGCONT);
  ASSERT_TRUE(noticed) << "the stopped node was never declared lost";
  expect_recovered(run.wait(180), images, microbatch, "heartbeat");
}

TEST_F(CliFaultsTest, CtrlCRetiresEveryStageAndStillReports) {
  const int images = 8000, microbatch = 8;
  test::node_process remote("b", 1, roots);
  std::string y = "name: ctrl-c\nnodes:\n"
                  "  - {name: a, address: 127.0.0.1:0, start_locally: true}\n"
                  "  - {name: b, address: 127.0.0.1:" +
                  std::to_string(remote.port()) +
                  "}\n"
                  "model:\n  dir: " +
                  model_dir +
                  "\npartition: even\nquantization:\n  bits: 0\nlinks:\n  rate_mbps: 20\n"
                  "workload:\n  dataset: " +
                  data_dir + "\n  count: " + std::to_string(images) +
                  "\n  microbatch: " + std::to_string(microbatch) + "\n";
  std::string path = dir.path + "/ctrl-c.yaml";
  test::write_file(path, y);
  test::background_program run(EDGEPIPE_BINARY,
                               {"run", path, "--json", "--quiet", "--timeline", timeline});
  ASSERT_TRUE(wait_for(run, [](const auto& r) { return answered_at_least(r, 5); }));
  kill(run.pid(), SIGINT);
  auto r = run.wait(60);
  EXPECT_EQ(r.exit_code, 130) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  const int requests = images / microbatch;
  EXPECT_EQ(j["requests"], requests);
  EXPECT_GE(j["answered"].get<int>(), 5);
  EXPECT_LT(j["answered"].get<int>(), requests);
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_NE(j["failure"].get<std::string>().find("SIGINT"), std::string::npos) << j["failure"];
  // What was not answered is listed: all the rest, in order.
  ASSERT_EQ(j["unanswered"].size(), size_t(requests - j["answered"].get<int>()));
  EXPECT_EQ(j["unanswered"][0], j["answered"]);
  EXPECT_NE(r.err.find("edgepipe node a: stopped"), std::string::npos) << r.err;
  // The remote node (not ours to stop) hosts no stage any more.
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
  caf::actor_system sys{cfg};
  auto nodes =
      actors::connect_nodes(sys, {{"b", "127.0.0.1", remote.port()}}, std::chrono::seconds(10));
  ASSERT_TRUE(nodes) << nodes.error().message;
  EXPECT_EQ((*nodes)[0].info.stages, 0);
}

} // namespace
