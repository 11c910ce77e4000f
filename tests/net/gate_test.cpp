// gate: real sockets, no CAF. The test plays the node's CAF on the inner
// end of each relayed connection. Bytes pass both ways; a header over the
// limit disconnects the peer and is logged with its address before CAF holds
// the header whole; peers over the connection cap are disconnected at once;
// a silent peer is disconnected at the handshake timeout (injected clock).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_socket.hpp"
#include "net/gate.hpp"

using namespace edgepipe;
using namespace std::chrono_literals;

namespace {

using edgepipe::test::connect_to;
using edgepipe::test::local_address;

std::vector<uint8_t> header(uint8_t op, uint32_t payload_len) {
  std::vector<uint8_t> h(net::basp_header_size, 0);
  h[0] = op;
  for (int i = 0; i < 4; ++i) h[4 + i] = uint8_t(payload_len >> (24 - 8 * i));
  return h;
}

// The node's side: every inner socket the gate asked for, and the log.
struct fake_node {
  std::mutex m;
  std::condition_variable cv;
  std::vector<int> inner; // blocking ends the test reads and writes
  std::vector<std::string> log;

  net::inner_opener opener() {
    return [this]() -> expected<int> {
      int fds[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return make_error(errc::io_error, "socketpair");
      fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
      std::lock_guard<std::mutex> lock(m);
      inner.push_back(fds[0]);
      cv.notify_all();
      return fds[1];
    };
  }
  net::gate_log logger() {
    return [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(m);
      log.push_back(line);
      cv.notify_all();
    };
  }
  // Waits (a safety net of 20 s, never the check) for `n` inner sockets.
  int inner_socket(size_t n) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, 20s, [&] { return inner.size() > n; });
    return inner.size() > n ? inner[n] : -1;
  }
  std::string log_line_with(const std::string& text) {
    std::unique_lock<std::mutex> lock(m);
    std::string found;
    cv.wait_for(lock, 20s, [&] {
      for (const auto& l : log)
        if (l.find(text) != std::string::npos) found = l;
      return !found.empty();
    });
    return found;
  }
  ~fake_node() {
    for (int fd : inner) close(fd);
  }
};

// Reads until `n` bytes or the end of the stream (safety net 20 s).
std::vector<uint8_t> read_up_to(int fd, size_t n) {
  std::vector<uint8_t> got;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    uint8_t buf[65536];
    ssize_t r = recv(fd, buf, std::min(sizeof buf, n - got.size()), 0);
    if (r <= 0) break;
    got.insert(got.end(), buf, buf + r);
  }
  return got;
}

// Whether the other end closed the connection (within the safety net).
bool closed_by_peer(int fd) {
  auto rest = read_up_to(fd, size_t(1) << 30);
  (void)rest;
  pollfd p{fd, POLLIN, 0};
  char c;
  return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

void send_all(int fd, const std::vector<uint8_t>& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
}

// The node's side sends (non-blocking) until 100 tries in a row find no
// room: the sockets and the gate's buffer toward a peer that reads nothing
// are full. Returns the bytes sent.
size_t send_until_full(int inner) {
  fcntl(inner, F_SETFL, fcntl(inner, F_GETFL) | O_NONBLOCK);
  std::vector<uint8_t> chunk(1 << 16, 1);
  size_t sent = 0;
  for (int blocked = 0; blocked < 100;) {
    ssize_t n = send(inner, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
      blocked = 0;
    } else {
      ++blocked;
      std::this_thread::sleep_for(std::chrono::milliseconds(2)); // let the gate move what it can
    }
  }
  return sent;
}

struct gate_fixture : ::testing::Test {
  fake_node node;
  std::unique_ptr<net::gate> gate;
  void open(net::gate_options o) {
    o.host = "127.0.0.1";
    auto g = net::gate::open(std::move(o), node.opener(), node.logger());
    ASSERT_TRUE(g) << g.error().message;
    gate = std::move(*g);
    gate->start();
  }
  void TearDown() override {
    if (gate) gate->stop();
  }
};

TEST_F(gate_fixture, RelaysBothWaysOnceThePeerSaysHello) {
  open({});
  int peer = connect_to(gate->port());
  ASSERT_GE(peer, 0);
  auto hello = header(1, 5);
  for (uint8_t b = 1; b <= 5; ++b) hello.push_back(b);
  auto beat = header(6, 0);
  send_all(peer, hello);
  send_all(peer, beat);
  int inner = node.inner_socket(0);
  ASSERT_GE(inner, 0);
  auto got = read_up_to(inner, hello.size() + beat.size());
  std::vector<uint8_t> sent = hello;
  sent.insert(sent.end(), beat.begin(), beat.end());
  EXPECT_EQ(got, sent);
  std::vector<uint8_t> answer(100000, 0x5a);
  ASSERT_EQ(send(inner, answer.data(), answer.size(), 0), ssize_t(answer.size()));
  EXPECT_EQ(read_up_to(peer, answer.size()), answer);
  close(peer);
}

TEST_F(gate_fixture, AHugeHeaderDisconnectsThePeerBeforeCafHasItWhole) {
  net::gate_options o;
  o.limits.max_payload = 16u << 20;
  open(o);
  int peer = connect_to(gate->port());
  ASSERT_GE(peer, 0);
  const std::string who = local_address(peer);
  send_all(peer, header(1, 0));
  int inner = node.inner_socket(0);
  ASSERT_GE(inner, 0);
  EXPECT_EQ(read_up_to(inner, net::basp_header_size).size(), net::basp_header_size);
  send_all(peer, header(2, 0xfffffff0u)); // then silence
  EXPECT_TRUE(closed_by_peer(peer));
  // CAF never holds the bad header whole (it acts on 32 bytes), then the
  // stream ends.
  EXPECT_LT(read_up_to(inner, 1 << 20).size(), net::basp_header_size);
  EXPECT_TRUE(closed_by_peer(inner));
  auto line = node.log_line_with("refused " + who);
  EXPECT_NE(line.find("claims 4096.0 MB, more than the limit of 16.0 MB"), std::string::npos)
      << line;
  close(peer);
  EXPECT_EQ(gate->stats().refused, 1u);
}

TEST_F(gate_fixture, GarbageNeverReachesTheNode) {
  open({});
  int peer = connect_to(gate->port());
  ASSERT_GE(peer, 0);
  std::vector<uint8_t> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = uint8_t(i * 131 + 17);
  send(peer, junk.data(), junk.size(), MSG_NOSIGNAL);
  EXPECT_TRUE(closed_by_peer(peer));
  EXPECT_NE(node.log_line_with("not a CAF peer"), "");
  std::lock_guard<std::mutex> lock(node.m);
  EXPECT_TRUE(node.inner.empty()) << "the node was asked to serve a peer that sent garbage";
  close(peer);
}

TEST_F(gate_fixture, PeersOverTheCapAreDisconnectedAtOnce) {
  net::gate_options o;
  o.max_connections = 4;
  open(o);
  std::vector<int> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(connect_to(gate->port()));
    send_all(peers.back(), header(1, 0));
    ASSERT_GE(node.inner_socket(size_t(i)), 0) << "peer " << i << " was not admitted";
  }
  std::vector<int> extra;
  for (int i = 0; i < 30; ++i) extra.push_back(connect_to(gate->port()));
  for (int fd : extra) EXPECT_TRUE(closed_by_peer(fd));
  EXPECT_NE(node.log_line_with("4 connections open, the limit (--max-connections)"), "");
  EXPECT_EQ(gate->stats().over_limit, 30u);
  // The four admitted ones still relay.
  for (size_t i = 0; i < peers.size(); ++i) {
    send_all(peers[i], header(6, 0));
    EXPECT_EQ(read_up_to(node.inner_socket(i), 2 * net::basp_header_size).size(),
              2 * net::basp_header_size);
  }
  for (int fd : peers) close(fd);
  for (int fd : extra) close(fd);
}

TEST_F(gate_fixture, APeerThatNeverReadsDoesNotKeepAConnectionTheNodeClosed) {
  net::gate_options o;
  o.limits.stall_timeout_s = 1000; // only the node's hang-up may end it here
  open(o);
  int peer = connect_to(gate->port());
  ASSERT_GE(peer, 0);
  send_all(peer, header(1, 0));
  int inner = node.inner_socket(0);
  ASSERT_GE(inner, 0);
  // The node sends more than the sockets and the gate's buffer hold, then
  // closes; the peer reads nothing.
  size_t sent = send_until_full(inner);
  ASSERT_GT(sent, size_t(1) << 20);
  shutdown(inner, SHUT_RDWR);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (gate->stats().open > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(gate->stats().open, 0u);
  close(peer);
}

TEST_F(gate_fixture, APeerThatNeverReadsIsDisconnectedAtTheStallTimeout) {
  auto now = std::make_shared<std::atomic<double>>(1000.0);
  net::gate_options o;
  o.clock = [now] { return now->load(); };
  o.limits.stall_timeout_s = 10;
  open(o);
  int peer = connect_to(gate->port());
  ASSERT_GE(peer, 0);
  const std::string who = local_address(peer);
  send_all(peer, header(1, 0));
  int inner = node.inner_socket(0);
  ASSERT_GE(inner, 0);
  // The node sends until everything between it and the peer is full.
  send_until_full(inner);
  // Time passes; whatever the kernel's buffers still took, the peer reads
  // nothing, so within a few steps of 11 s nothing more moves.
  std::string line;
  for (int i = 0; i < 50 && line.empty(); ++i) {
    *now = *now + 11.0;
    std::this_thread::sleep_for(100ms);
    std::lock_guard<std::mutex> lock(node.m);
    for (const auto& l : node.log)
      if (l.find("refused " + who) != std::string::npos) line = l;
  }
  EXPECT_NE(line.find("does not read what the node sends (nothing taken for 10 s)"),
            std::string::npos)
      << line;
  close(peer);
}

TEST_F(gate_fixture, ASilentPeerIsDisconnectedAtTheHandshakeTimeout) {
  auto now = std::make_shared<std::atomic<double>>(1000.0);
  net::gate_options o;
  o.clock = [now] { return now->load(); };
  o.limits.handshake_timeout_s = 10;
  open(o);
  int silent = connect_to(gate->port());
  int talker = connect_to(gate->port());
  send_all(talker, header(1, 0));
  ASSERT_GE(node.inner_socket(0), 0);
  // The gate sees both accepted before the clock moves.
  while (gate->stats().accepted < 2) std::this_thread::sleep_for(10ms);
  *now = 1011.0;
  EXPECT_TRUE(closed_by_peer(silent));
  EXPECT_NE(node.log_line_with("no handshake within 10 s"), "");
  // The peer that said hello stays.
  send_all(talker, header(6, 0));
  EXPECT_EQ(read_up_to(node.inner_socket(0), 2 * net::basp_header_size).size(),
            2 * net::basp_header_size);
  close(silent);
  close(talker);
}

} // namespace
