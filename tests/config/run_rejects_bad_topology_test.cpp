// `edgepipe run` on a broken topology: exit code 2, the error's file:line:col
// and expectation on stderr, and nothing started or contacted. The topology's
// remote node points at a socket this test listens on: any connection
// attempt would show up there.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

class RunRejectsBadTopology : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgepipe_run_bad_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener_, 8), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    fcntl(listener_, F_SETFL, O_NONBLOCK);
  }
  void TearDown() override {
    if (listener_ >= 0) close(listener_);
    fs::remove_all(dir_);
  }

  // A valid topology over synthetic ViT-Base (48 layers) with one local and
  // one remote node; `line` (1-based) of it replaced by `replacement`.
  std::string topology_with(int line, const std::string& replacement) const {
    std::vector<std::string> lines = {
        "nodes:",                                          // 1
        "  - name: here",                                  // 2
        "    address: 127.0.0.1:0",                        // 3
        "    start_locally: true",                         // 4
        "  - name: there",                                 // 5
        "    address: 127.0.0.1:" + std::to_string(port_), // 6
        "model: {synthetic: vit-base}",                    // 7
        "partition:",                                      // 8
        "  - {node: here, layers: [1, 24]}",               // 9
        "  - {node: there, layers: [25, 48]}",             // 10
        "workload: {synthetic: true, count: 4}",           // 11
    };
    lines.at(line - 1) = replacement;
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  struct outcome {
    int exit_code;
    std::string out, err;
  };

  outcome run(const std::string& yaml) {
    fs::path file = dir_ / "bad.yaml";
    std::ofstream(file) << yaml;
    std::string command = std::string("\"") + EDGEPIPE_BINARY + "\" run --quiet \"" +
                          file.string() + "\" >\"" + (dir_ / "out").string() + "\" 2>\"" +
                          (dir_ / "err").string() + "\"";
    int status = std::system(command.c_str());
    outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream out, err;
    out << std::ifstream(dir_ / "out").rdbuf();
    err << std::ifstream(dir_ / "err").rdbuf();
    o.out = out.str();
    o.err = err.str();
    return o;
  }

  void expect_rejected(const std::string& yaml, const std::string& position,
                       const std::string& expectation) {
    outcome o = run(yaml);
    EXPECT_EQ(o.exit_code, 2) << o.err;
    std::string where = (dir_ / "bad.yaml").string() + ":" + position + ": ";
    EXPECT_NE(o.err.find(where), std::string::npos) << "stderr: " << o.err;
    EXPECT_NE(o.err.find(expectation), std::string::npos) << "stderr: " << o.err;
    EXPECT_EQ(o.out, "") << "nothing may run";
    // Nobody tried to reach the remote node.
    int client = accept(listener_, nullptr, nullptr);
    EXPECT_LT(client, 0) << "edgepipe run contacted a node despite the config error";
    if (client >= 0) close(client);
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  }

  fs::path dir_;
  int listener_ = -1;
  int port_ = 0;
};

TEST_F(RunRejectsBadTopology, UnknownKey) {
  expect_rejected(topology_with(4, "    start_localy: true"), "4:5", "unknown key 'start_localy'");
}

TEST_F(RunRejectsBadTopology, WrongType) {
  expect_rejected(topology_with(4, "    start_locally: sometimes"), "4:20",
                  "expected true or false");
}

TEST_F(RunRejectsBadTopology, OverlappingRanges) {
  expect_rejected(topology_with(10, "  - {node: there, layers: [20, 48]}"), "10:27", "overlap");
}

TEST_F(RunRejectsBadTopology, GapBetweenRanges) {
  expect_rejected(topology_with(10, "  - {node: there, layers: [30, 48]}"), "10:27",
                  "gap: layers 25..29");
}

TEST_F(RunRejectsBadTopology, RangesExceedTheModel) {
  expect_rejected(topology_with(10, "  - {node: there, layers: [25, 50]}"), "10:5",
                  "exceed the model's 48 layers");
}

TEST_F(RunRejectsBadTopology, UnknownNode) {
  expect_rejected(topology_with(10, "  - {node: where, layers: [25, 48]}"), "10:12",
                  "unknown node 'where'");
}

TEST_F(RunRejectsBadTopology, NodeListedTwice) {
  expect_rejected(topology_with(5, "  - name: here"), "5:11", "node 'here' listed twice");
}

} // namespace
