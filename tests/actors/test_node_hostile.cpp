// A hostile peer at a node's port, as an attacker would try it, against a
// real `edgepipe node`: a BASP header claiming 4 GB then silence (it grew a
// node to ~4 GB before the gate), first and after a real CAF handshake,
// garbage, a first message that stalls, hundreds of connections. Each time the node disconnects the
// peer, logs its address and why, keeps its memory bounded (VmRSS), and serves a run.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "../net/loopback_socket.hpp"
#include "actors/register_types.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

using edgepipe::test::connect_to;
using edgepipe::test::local_address;

constexpr int64_t rss_bound_kb = 64 * 1024; // what the node may grow by

std::vector<uint8_t> basp_header(uint8_t op, uint32_t payload_len) {
  std::vector<uint8_t> h(32, 0);
  h[0] = op;
  for (int i = 0; i < 4; ++i) h[4 + i] = uint8_t(payload_len >> (24 - 8 * i));
  return h;
}

// Whether the node closed the connection (reads and drops what it sent);
// `timeout_s` is a safety net.
bool closed_by_node(int fd, int timeout_s = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

struct socket_guard {
  std::vector<int> fds;
  ~socket_guard() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
};

class HostilePeerTest : public ::testing::Test {
protected:
  void SetUp() override { test::write_tiny_model(dir.path); }

  std::unique_ptr<test::node_process> start_node(const std::string& name,
                                                 std::vector<std::string> args = {}) {
    log = dir.path + "/" + name + ".log";
    args.insert(args.end(), {"--model-root", dir.path}); // serves the tiny model
    return std::make_unique<test::node_process>(name, args, log);
  }

  // A two-stage run of the tiny model on `target` and a fresh helper node:
  // every microbatch answered.
  void expect_serves_a_run(const test::node_process& target) {
    test::node_process helper("helper", 1, {dir.path});
    std::string yaml = "name: after-attack\nnodes:\n"
                       "  - {name: target, address: 127.0.0.1:" +
                       std::to_string(target.port()) +
                       "}\n"
                       "  - {name: helper, address: 127.0.0.1:" +
                       std::to_string(helper.port()) +
                       "}\n"
                       "model:\n  dir: .\npartition: even\n"
                       "workload:\n  synthetic: true\n  count: 16\n  microbatch: 4\n";
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, yaml);
    auto r = test::run_edgepipe({"run", path, "--json", "--quiet"}, 120);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(test::last_line(r.out));
    EXPECT_EQ(j["answered"], 4);
    EXPECT_EQ(j["lost"], 0);
  }

  test::temp_dir dir;
  std::string log;
};

TEST_F(HostilePeerTest, AHeaderClaiming4GBThenSilenceCostsTheNodeNothing) {
  auto node = start_node("target");
  const int64_t before = test::vm_rss_kb(node->pid());
  ASSERT_GT(before, 0);
  socket_guard s;
  int fd = connect_to(node->port());
  ASSERT_GE(fd, 0);
  s.fds.push_back(fd);
  const std::string who = local_address(fd);
  auto h = basp_header(1, 0xfffffff0u); // a "client handshake" of 4 GB, then nothing
  ASSERT_EQ(send(fd, h.data(), h.size(), MSG_NOSIGNAL), ssize_t(h.size()));
  ASSERT_TRUE(closed_by_node(fd)) << "the node kept a peer that claimed 4 GB";
  EXPECT_LT(test::vm_rss_kb(node->pid()) - before, rss_bound_kb);
  ASSERT_TRUE(test::wait_for_text(log, "refused " + who + ":", 20)) << test::read_text(log);
  EXPECT_NE(test::read_text(log).find("claims 4096.0 MB, more than the limit of 256.0 MB"),
            std::string::npos)
      << test::read_text(log);
  expect_serves_a_run(*node);
  EXPECT_TRUE(node->running());
}

// A real CAF client handshake, as this process's middleman sends it on
// connecting (it sends it at once, before the server's): caught by a
// listener standing in for a node.
std::vector<uint8_t> real_client_handshake() {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(listener, 1);
  socklen_t len = sizeof a;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t port = ntohs(a.sin_port);
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
  caf::actor_system sys{cfg};
  std::thread client([&] { (void)sys.middleman().remote_actor("127.0.0.1", port); });
  std::vector<uint8_t> got;
  int fd = accept(listener, nullptr, nullptr);
  auto read_exactly = [&](size_t n) {
    size_t start = got.size();
    got.resize(start + n);
    for (size_t have = 0; have < n;) {
      ssize_t r = recv(fd, got.data() + start + have, n - have, 0);
      if (r <= 0) return false;
      have += size_t(r);
    }
    return true;
  };
  if (fd >= 0 && read_exactly(32)) {
    uint32_t payload = (uint32_t(got[4]) << 24) | (uint32_t(got[5]) << 16) |
                       (uint32_t(got[6]) << 8) | uint32_t(got[7]);
    if (payload > (1u << 20) || !read_exactly(payload)) got.clear();
  } else {
    got.clear();
  }
  if (fd >= 0) close(fd); // the client's remote_actor fails now
  close(listener);
  client.join();
  return got;
}

TEST_F(HostilePeerTest, AfterARealHandshakeA4GBHeaderIsRefusedToo) {
  auto hello = real_client_handshake();
  ASSERT_GE(hello.size(), 32u);
  ASSERT_EQ(hello[0], 1) << "not a client handshake";
  auto node = start_node("target");
  const int64_t before = test::vm_rss_kb(node->pid());
  socket_guard s;
  int fd = connect_to(node->port());
  ASSERT_GE(fd, 0);
  s.fds.push_back(fd);
  const std::string who = local_address(fd);
  ASSERT_EQ(send(fd, hello.data(), hello.size(), MSG_NOSIGNAL), ssize_t(hello.size()));
  // The node's CAF answers with its server handshake: it took ours.
  unsigned char answer[32];
  size_t have = 0;
  while (have < sizeof answer) {
    ssize_t r = recv(fd, answer + have, sizeof answer - have, 0);
    ASSERT_GT(r, 0) << "the node closed after a real handshake";
    have += size_t(r);
  }
  EXPECT_EQ(answer[0], 0) << "not a server handshake";
  auto h = basp_header(2, 0xfffffff0u); // a direct message of 4 GB, then nothing
  h[31] = 1;                            // to actor 1
  ASSERT_EQ(send(fd, h.data(), h.size(), MSG_NOSIGNAL), ssize_t(h.size()));
  ASSERT_TRUE(closed_by_node(fd)) << "the node kept a peer that claimed 4 GB";
  EXPECT_LT(test::vm_rss_kb(node->pid()) - before, rss_bound_kb);
  ASSERT_TRUE(
      test::wait_for_text(log, "refused " + who + ": a message header claims 4096.0 MB", 20))
      << test::read_text(log);
  expect_serves_a_run(*node);
}

TEST_F(HostilePeerTest, GarbageIsRefused) {
  auto node = start_node("target");
  socket_guard s;
  int fd = connect_to(node->port());
  ASSERT_GE(fd, 0);
  s.fds.push_back(fd);
  const std::string who = local_address(fd);
  std::vector<uint8_t> junk(65536);
  uint32_t x = 12345;
  for (auto& b : junk) b = uint8_t((x = x * 1103515245u + 12345u) >> 24);
  send(fd, junk.data(), junk.size(), MSG_NOSIGNAL); // the node may close before taking it all
  ASSERT_TRUE(closed_by_node(fd));
  ASSERT_TRUE(test::wait_for_text(log, "refused " + who + ": not a CAF peer", 20))
      << test::read_text(log);
  expect_serves_a_run(*node);
}

TEST_F(HostilePeerTest, APeerStalledInItsFirstMessageIsDropped) {
  auto node = start_node("target", {"--stall-timeout-s", "1"});
  socket_guard s;
  int fd = connect_to(node->port());
  ASSERT_GE(fd, 0);
  s.fds.push_back(fd);
  const std::string who = local_address(fd);
  auto h = basp_header(1, 1 << 20); // 1 MB announced, 1000 bytes sent, then silence
  h.resize(h.size() + 1000, 0);
  ASSERT_EQ(send(fd, h.data(), h.size(), MSG_NOSIGNAL), ssize_t(h.size()));
  ASSERT_TRUE(closed_by_node(fd));
  ASSERT_TRUE(test::wait_for_text(log, "refused " + who + ": no handshake within 1 s", 20))
      << test::read_text(log);
}

TEST_F(HostilePeerTest, HundredsOfConnectionsAreCappedAndTheNodeRecovers) {
  auto node = start_node("target", {"--max-connections", "16", "--stall-timeout-s", "2"});
  const int64_t before = test::vm_rss_kb(node->pid());
  socket_guard s;
  for (int i = 0; i < 300; ++i) {
    int fd = connect_to(node->port());
    ASSERT_GE(fd, 0) << "connection " << i;
    s.fds.push_back(fd);
  }
  // All 300 are disconnected: 284 at once (over the cap), the 16 admitted
  // ones when they have not shaken hands within 2 s.
  int closed = 0;
  for (int fd : s.fds) closed += closed_by_node(fd) ? 1 : 0;
  EXPECT_EQ(closed, 300);
  EXPECT_LT(test::vm_rss_kb(node->pid()) - before, rss_bound_kb);
  EXPECT_TRUE(test::wait_for_text(log, "16 connections open, the limit (--max-connections)", 20))
      << test::read_text(log);
  EXPECT_TRUE(test::wait_for_text(log, "no handshake within 2 s", 20)) << test::read_text(log);
  expect_serves_a_run(*node);
}

} // namespace
