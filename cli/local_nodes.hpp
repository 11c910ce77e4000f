// local_nodes: `edgepipe run` starts the topology's nodes marked
// start_locally as child processes of this very program (`edgepipe node`,
// through /proc/self/exe), reads the port each one bound from its first
// line of output, and stops them at the end (SIGTERM, then SIGKILL).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/expected.hpp"

namespace edgepipe::cli {

struct local_node_request {
  std::string name;
  std::string host; // to listen on
  int port = 0;     // 0: the node picks a free port
  int threads = 1;
  int64_t memory_mb = 0;
  // The topology's runtime heartbeat, so a node judges the run process (and
  // its neighbours) by the same timeout as the run process judges it.
  double heartbeat_interval_s = 0.5;
  double heartbeat_timeout_s = 3;
  // --model-root of each: the node serves model directories only inside these.
  std::vector<std::string> model_roots;
  // Mutual TLS (all three or none): the topology's CA, certificate and key.
  std::string tls_ca, tls_cert, tls_key;
};

struct local_node {
  std::string name;
  std::string host;
  uint16_t port = 0; // the port it bound
  pid_t pid = -1;
  int stdout_fd = -1;
};

class local_node_group {
public:
  local_node_group() = default;
  local_node_group(const local_node_group&) = delete;
  local_node_group& operator=(const local_node_group&) = delete;
  ~local_node_group(); // stops every node still running

  // Starts one node and waits (at most `timeout`) for its "listening on" line.
  expected<local_node> start(const local_node_request& req, std::chrono::milliseconds timeout);

  // SIGTERM to every node, then SIGKILL to those still alive after `grace`.
  void stop_all(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  const std::vector<local_node>& nodes() const { return nodes_; }

private:
  std::vector<local_node> nodes_;
};

// Parses the line `edgepipe node` prints once it listens:
// "edgepipe node NAME listening on HOST:PORT". Returns the port, 0 if not such a line.
uint16_t parse_listening_line(const std::string& line);

} // namespace edgepipe::cli
