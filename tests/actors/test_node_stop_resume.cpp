// A node stopped (SIGSTOP) for longer than the heartbeat timeout and
// resumed (SIGCONT): its peers declared it lost and dropped their
// connections, and it dropped theirs. The next run against the same three
// nodes must work: no stale connection between them may be reused, whether
// the node was stopped while idle between runs or in the middle of a run.
// (Seen once in 13 repeats of the second test before the fix: the resumed
// node's stage could not connect to the next node, "connection_timeout":
// CAF 0.17.6 starts an outgoing connection's last_seen at zero, so a
// heartbeat tick during its handshake drops it; stage_actor now retries.)
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace edgepipe;
using namespace std::chrono_literals;

namespace {

// The nodes and the run use a short heartbeat, so the test is quick.
const std::vector<std::string> heartbeat = {"--heartbeat-interval-s", "0.25",
                                            "--heartbeat-timeout-s", "1.5"};
constexpr auto longer_than_the_timeout = 2500ms;

// CPU time a process has used (utime + stime of /proc/PID/stat), in ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

class StopResumeTest : public ::testing::Test {
protected:
  void SetUp() override {
    test::write_tiny_model(dir.path);
    std::vector<std::string> args = heartbeat;
    args.insert(args.end(), {"--model-root", dir.path}); // serves the tiny model
    for (const char* n : {"a", "b", "c"})
      nodes.push_back(std::make_unique<test::node_process>(n, args, ""));
  }

  std::string topology(int count) {
    std::string y = "name: stop-resume\nnodes:\n";
    const char* names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; ++i)
      y += std::string("  - {name: ") + names[i] +
           ", address: 127.0.0.1:" + std::to_string(nodes[i]->port()) + "}\n";
    y += "model:\n  dir: .\npartition: even\nquantization:\n  bits: 8\n"
         "workload:\n  synthetic: true\n  count: " +
         std::to_string(count) +
         "\n  microbatch: 4\n"
         "runtime:\n  heartbeat_interval_s: 0.25\n  heartbeat_timeout_s: 1.5\n";
    std::string path = dir.path + "/topology-" + std::to_string(count) + ".yaml";
    test::write_file(path, y);
    return path;
  }

  void expect_run_answers_all(int count) {
    auto r = test::run_edgepipe({"run", topology(count), "--json", "--quiet"}, 120);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(test::last_line(r.out));
    EXPECT_EQ(j["answered"], count / 4);
    EXPECT_EQ(j["lost"], 0);
  }

  test::temp_dir dir;
  std::vector<std::unique_ptr<test::node_process>> nodes;
};

TEST_F(StopResumeTest, ANodeStoppedBetweenRunsServesTheNextRun) {
  expect_run_answers_all(24); // the nodes now hold connections to each other
  for (size_t stopped = 0; stopped < 3; ++stopped) {
    SCOPED_TRACE("stopped node " + std::to_string(stopped));
    pid_t pid = nodes[stopped]->pid();
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(longer_than_the_timeout); // the scenario, not a check
    kill(pid, SIGCONT);
    expect_run_answers_all(24);
  }
}

TEST_F(StopResumeTest, ANodeStoppedDuringARunServesTheNextRun) {
  // A long run; the middle node is stopped once it computes (its CPU time
  // grows). Whatever becomes of that run (it ends with an error today; with
  // re-planning over the survivors it may finish), the next run must work.
  pid_t middle = nodes[1]->pid();
  const long idle = cpu_ticks(middle);
  test::run_output first;
  std::thread runner([&] {
    first = test::run_edgepipe({"run", topology(40000), "--json", "--quiet"}, 300);
  });
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (cpu_ticks(middle) < idle + 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  kill(middle, SIGSTOP);
  std::this_thread::sleep_for(longer_than_the_timeout); // the scenario, not a check
  kill(middle, SIGCONT);
  runner.join();
  std::printf("the interrupted run ended with exit code %d\n", first.exit_code);
  expect_run_answers_all(24);
}

} // namespace
