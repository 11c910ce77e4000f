// Mutual TLS with real processes. The CA and certificates are made at test
// time by examples/tls/make_certs.sh (the openssl command). A run whose
// topology names them works end to end, through nodes started by the run
// and through nodes started by hand with certificates of their own. A peer
// without a certificate, with one another CA signed, or in the clear is
// refused, and the node's log names the peer's address and why.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"

using namespace edgepipe;

namespace {

const std::string make_certs = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/tls/make_certs.sh";

class TlsTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (access("/usr/bin/openssl", X_OK) != 0)
      GTEST_SKIP() << "the openssl command is missing (tools/setup.sh installs it)";
    test::write_tiny_model(dir.path);
    certs = dir.path + "/certs";
    auto r = test::run_program("bash", {make_certs, certs, "run", "n1", "n2"}, 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::vector<std::string> node_tls(const std::string& name) const {
    return {"--tls-ca",  certs + "/ca.pem",           "--tls-cert",   certs + "/" + name + ".pem",
            "--tls-key", certs + "/" + name + ".key", "--model-root", dir.path};
  }

  std::string tls_section() const {
    return "tls:\n  ca: certs/ca.pem\n  certificate: certs/run.pem\n  key: certs/run.key\n";
  }

  std::string topology(const std::string& nodes, bool tls) {
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, "name: tls-test\nnodes:\n" + nodes +
                               "model:\n  dir: .\npartition: even\nquantization:\n  bits: 8\n"
                               "workload:\n  synthetic: true\n  count: 24\n  microbatch: 4\n" +
                               (tls ? tls_section() : ""));
    return path;
  }

  static std::string remote(const std::string& name, uint16_t port) {
    return "  - {name: " + name + ", address: 127.0.0.1:" + std::to_string(port) + "}\n";
  }

  void expect_answered(const test::run_output& r) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(test::last_line(r.out));
    EXPECT_EQ(j["answered"], 6);
    EXPECT_EQ(j["lost"], 0);
  }

  test::temp_dir dir;
  std::string certs;
};

TEST_F(TlsTest, ARunWithCertificatesWorksThroughNodesItStarts) {
  std::string nodes;
  for (const char* n : {"p", "q", "r"})
    nodes += std::string("  - {name: ") + n + ", address: 127.0.0.1:0, start_locally: true}\n";
  // The run's client is TLS-only: it gets through only if the nodes it
  // started speak TLS with certificates the CA signed.
  expect_answered(test::run_edgepipe({"run", topology(nodes, true), "--json", "--quiet"}, 120));
}

TEST_F(TlsTest, ABadCertificateStopsTheRunBeforeAnythingStarts) {
  // The key of another certificate: OpenSSL's check, at the tls: line.
  std::string nodes = "  - {name: p, address: 127.0.0.1:0, start_locally: true}\n";
  std::string path = topology(nodes, true);
  std::string yaml = test::read_text(path);
  yaml.replace(yaml.find("certs/run.key"), 13, "certs/n1.key");
  test::write_file(path, yaml);
  auto r = test::run_edgepipe({"run", path, "--json"}, 60);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tls: cannot load the key " + certs + "/n1.key for the certificate " +
                       certs + "/run.pem"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(": stopped"), std::string::npos) << "a node was started\n" << r.err;
}

TEST_F(TlsTest, ARunWithCertificatesWorksThroughNodesWithTheirOwn) {
  // Stage n1 connects to n2 itself, over TLS with its own certificate.
  test::node_process n1("n1", node_tls("n1"), dir.path + "/n1.log");
  test::node_process n2("n2", node_tls("n2"), dir.path + "/n2.log");
  auto path = topology(remote("n1", n1.port()) + remote("n2", n2.port()), true);
  expect_answered(test::run_edgepipe({"run", path, "--json", "--quiet"}, 120));
  for (const char* n : {"n1", "n2"})
    EXPECT_EQ(test::read_text(dir.path + "/" + n + ".log").find("refused"), std::string::npos)
        << test::read_text(dir.path + "/" + n + ".log");
}

TEST_F(TlsTest, ANodeKilledAndRestartedRejoinsOverTls) {
  // The run's re-planner reconnects to a lost node on its address: over TLS
  // too. 40,000 images keep the run going while b is away.
  ASSERT_EQ(test::run_program("bash", {make_certs, certs, "n3"}, 60).exit_code, 0);
  std::vector<std::unique_ptr<test::node_process>> nodes;
  for (const char* n : {"n1", "n3"})
    nodes.push_back(std::make_unique<test::node_process>(n, node_tls(n), ""));
  auto b = std::make_unique<test::node_process>("n2", node_tls("n2"), "");
  const uint16_t b_port = b->port();
  std::string path = dir.path + "/rejoin.yaml";
  test::write_file(path, "name: tls-rejoin\nnodes:\n" + remote("a", nodes[0]->port()) +
                             remote("b", b_port) + remote("c", nodes[1]->port()) +
                             "model:\n  dir: .\npartition: even\n"
                             "workload:\n  synthetic: true\n  count: 40000\n  microbatch: 4\n"
                             "runtime:\n  heartbeat_interval_s: 0.25\n  heartbeat_timeout_s: "
                             "1.5\n  rejoin_interval_s: 0.25\n  run_timeout_s: 120\n" +
                             tls_section());
  const std::string timeline = dir.path + "/timeline.jsonl";
  test::background_program run(EDGEPIPE_BINARY,
                               {"run", path, "--json", "--quiet", "--timeline", timeline});
  // Waits (safety net 60 s) until a timeline record satisfies `done`.
  auto wait_for = [&](const std::function<bool(const nlohmann::json&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !run.exited()) {
      std::istringstream lines(test::read_text(timeline));
      std::string line;
      while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && done(j)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for([](const nlohmann::json& r) {
    return r.value("kind", "") == "throughput" && r.value("answered", 0) >= 20;
  })) << "the run never got going";
  b->kill_now();
  ASSERT_TRUE(wait_for([](const nlohmann::json& r) {
    return r.value("kind", "") == "fault" &&
           r.value("text", "").find("'b' lost") != std::string::npos;
  })) << "the loss of b was never noted\n"
      << run.wait(10).out;
  b = std::make_unique<test::node_process>("n2", node_tls("n2"), "", b_port);
  auto r = run.wait(180);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["answered"], 10000);
  EXPECT_EQ(j["lost"], 0);
  ASSERT_EQ(j["faults"].size(), 1u) << j.dump(2);
  EXPECT_FALSE(j["faults"][0]["rejoined_t"].is_null())
      << "b never rejoined over TLS: " << j.dump(2);
}

TEST_F(TlsTest, AClientWithoutACertificateIsRefusedAndLogged) {
  const std::string log = dir.path + "/n1.log";
  test::node_process n1("n1", node_tls("n1"), log);
  auto r = test::run_program("openssl",
                             {"s_client", "-connect", "127.0.0.1:" + std::to_string(n1.port()),
                              "-CAfile", certs + "/ca.pem"},
                             30);
  (void)r; // s_client's own exit code depends on the TLS version; the node's log is the check
  ASSERT_TRUE(test::wait_for_text(log, "no client certificate", 20)) << test::read_text(log);
  EXPECT_NE(test::read_text(log).find("edgepipe node n1: refused 127.0.0.1:"), std::string::npos)
      << test::read_text(log);
}

TEST_F(TlsTest, ACertificateAnotherCaSignedIsRefusedAndLogged) {
  const std::string log = dir.path + "/n1.log";
  test::node_process n1("n1", node_tls("n1"), log);
  std::string other = dir.path + "/other";
  ASSERT_EQ(test::run_program("bash", {make_certs, other, "mallory"}, 60).exit_code, 0);
  test::run_program("openssl",
                    {"s_client", "-connect", "127.0.0.1:" + std::to_string(n1.port()), "-cert",
                     other + "/mallory.pem", "-key", other + "/mallory.key"},
                    30);
  ASSERT_TRUE(test::wait_for_text(log, "certificate refused", 20)) << test::read_text(log);
}

TEST_F(TlsTest, NothingIsAcceptedInTheClear) {
  const std::string log = dir.path + "/n1.log";
  test::node_process n1("n1", node_tls("n1"), log);
  // A BASP client handshake header sent in the clear.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(n1.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  unsigned char hello[32] = {1};
  send(fd, hello, sizeof hello, MSG_NOSIGNAL);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    pollfd p{fd, POLLIN, 0};
    char buf[512];
    if (poll(&p, 1, 200) == 1) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      closed = n <= 0;
      // Whatever came back is a TLS alert, never a CAF handshake.
      if (n > 0) {
        EXPECT_EQ(buf[0], 0x15) << "the node answered in the clear";
      }
    }
  }
  close(fd);
  EXPECT_TRUE(closed);
  ASSERT_TRUE(test::wait_for_text(log, "not a TLS client", 20)) << test::read_text(log);
  // And a whole run without TLS fails at once, saying why.
  test::node_process n2("n2", node_tls("n2"), "");
  auto r = test::run_edgepipe(
      {"run", topology(remote("n1", n1.port()) + remote("n2", n2.port()), false), "--json"}, 60);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("closed the connection during the handshake"), std::string::npos) << r.err;
}

TEST_F(TlsTest, ATlsRunRefusesANodeInTheClear) {
  test::node_process plain1("plain1", 1, {dir.path});
  test::node_process plain2("plain2", 1, {dir.path});
  auto r = test::run_edgepipe(
      {"run", topology(remote("plain1", plain1.port()) + remote("plain2", plain2.port()), true),
       "--json"},
      60);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("cannot reach node 'plain1'"), std::string::npos) << r.err;
}

} // namespace
