#include "cli/local_nodes.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgepipe::cli {

uint16_t parse_listening_line(const std::string& line) {
  auto at = line.find(" listening on ");
  if (line.rfind("edgepipe node ", 0) != 0 || at == std::string::npos) return 0;
  auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < at) return 0;
  long port = std::strtol(line.c_str() + colon + 1, nullptr, 10);
  return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

expected<local_node> local_node_group::start(const local_node_request& req,
                                             std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return make_error(errc::io_error, std::string("pipe: ") + std::strerror(errno));
  std::string listen = req.host + ":" + std::to_string(req.port);
  std::string threads = std::to_string(req.threads);
  std::string memory = std::to_string(req.memory_mb);
  std::string hb_interval = std::to_string(req.heartbeat_interval_s);
  std::string hb_timeout = std::to_string(req.heartbeat_timeout_s);
  // The real path of this program (exec'ing /proc/self/exe directly would
  // name the children "exe" in ps).
  char self_path[4096];
  ssize_t len = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  std::string program =
      len > 0 ? std::string(self_path, static_cast<size_t>(len)) : "/proc/self/exe";
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return make_error(errc::io_error, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: the node dies with its parent, even if the parent is killed.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    dup2(fds[1], STDOUT_FILENO);
    std::vector<const char*> argv = {"edgepipe",
                                     "node",
                                     "--listen",
                                     listen.c_str(),
                                     "--name",
                                     req.name.c_str(),
                                     "--threads",
                                     threads.c_str(),
                                     "--memory-mb",
                                     memory.c_str(),
                                     "--heartbeat-interval-s",
                                     hb_interval.c_str(),
                                     "--heartbeat-timeout-s",
                                     hb_timeout.c_str()};
    for (const auto& root : req.model_roots) {
      argv.push_back("--model-root");
      argv.push_back(root.c_str());
    }
    if (!req.tls_ca.empty())
      argv.insert(argv.end(), {"--tls-ca", req.tls_ca.c_str(), "--tls-cert", req.tls_cert.c_str(),
                               "--tls-key", req.tls_key.c_str()});
    argv.push_back(nullptr);
    execv(program.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(fds[1]);
  local_node node;
  node.name = req.name;
  node.host = req.host;
  node.pid = pid;
  node.stdout_fd = fds[0];
  nodes_.push_back(node); // stopped by the destructor even if it never answers

  std::string line;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return make_error(errc::timeout,
                        "local node '" + req.name + "' did not report a port in time");
    pollfd p{fds[0], POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char c;
    ssize_t n = read(fds[0], &c, 1);
    if (n <= 0)
      return make_error(errc::io_error, "local node '" + req.name +
                                            "' exited before listening (see its messages above)");
    if (c != '\n') {
      line += c;
      continue;
    }
    if (uint16_t port = parse_listening_line(line)) {
      nodes_.back().port = port;
      return nodes_.back();
    }
    line.clear();
  }
}

void local_node_group::stop_all(std::chrono::milliseconds grace) {
  for (auto& n : nodes_)
    if (n.pid > 0) kill(n.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& n : nodes_) {
    if (n.pid <= 0) continue;
    for (;;) {
      int status = 0;
      pid_t r = waitpid(n.pid, &status, WNOHANG);
      if (r == n.pid || (r < 0 && errno != EINTR)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(n.pid, SIGKILL);
        waitpid(n.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    n.pid = -1;
    if (n.stdout_fd >= 0) close(n.stdout_fd);
    n.stdout_fd = -1;
  }
}

local_node_group::~local_node_group() {
  stop_all();
}

} // namespace edgepipe::cli
