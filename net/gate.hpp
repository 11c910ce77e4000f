// gate: what stands between a node's CAF middleman and the network. One
// thread listens on the node's public address, accepts at most
// `max_connections` peers, terminates TLS when configured (refusing a peer
// without a certificate signed by the CA before reading any of its bytes),
// and relays each connection to the node's CAF through a socket opened by
// `inner_opener` (a socketpair: CAF itself listens on no port). What a peer
// sends is checked by a basp_guard on the way (message size limit, a receive
// budget shared by all connections, stalls, handshake time); a peer that
// breaks a rule is disconnected and the refusal logged with its address.
// What the node sends back is relayed unchecked.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/expected.hpp"
#include "net/basp_guard.hpp"
#include "net/peer_stream.hpp"

namespace edgepipe::net {

struct gate_options {
  std::string host; // to listen on; "" or 0.0.0.0: every IPv4 interface
  uint16_t port = 0;
  int max_connections = 64;
  uint64_t max_buffered = 512ull << 20; // bytes: the receive budget of all connections
  guard_limits limits;
  std::shared_ptr<tls_server> tls; // null: in the clear
  std::function<double()> clock;   // seconds, monotonic; default steady_clock
  size_t buffer_bytes = 256 << 10; // per direction and connection
};

struct gate_stats {
  uint64_t accepted = 0, refused = 0, over_limit = 0;
  uint64_t open = 0; // connections being relayed now
};

// Returns a connected, non-blocking socket whose other end the node's CAF
// serves, or an error (then the peer is disconnected).
using inner_opener = std::function<expected<int>()>;
using gate_log = std::function<void(const std::string&)>;

class gate {
public:
  // Binds and listens (port 0: a free one), does not accept yet.
  static expected<std::unique_ptr<gate>> open(gate_options opts, inner_opener opener, gate_log log);
  ~gate(); // stop()
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  uint16_t port() const { return port_; }
  void start();
  // Stops accepting, closes every connection and joins the thread. Any
  // thread may call it, more than once.
  void stop();
  gate_stats stats() const;

private:
  gate() = default;
  void run();
  struct impl;
  std::unique_ptr<impl> impl_;
  std::thread thread_;
  std::mutex stop_mutex_;
  uint16_t port_ = 0;
};

} // namespace edgepipe::net
