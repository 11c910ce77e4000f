#include "cli/node_gate.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/send.hpp>

#include "cli/args.hpp"

namespace edgepipe::cli {

namespace {

// Hands one end of a fresh socketpair to the BASP broker as a connection to
// `whom`; returns the other end (non-blocking) for the gate.
//
// CAF 0.17.6's basp_broker takes (publish_atom, scribe_ptr, port, whom,
// sigs): it adds the scribe, registers `whom` as published at `port` and
// writes its server handshake, exactly what its doorman does for an
// accepted TCP connection (caf/io/basp_broker.cpp).
expected<int> hand_to_caf(caf::actor_system& sys, const caf::actor& broker,
                          const caf::strong_actor_ptr& whom, const std::set<std::string>& sigs,
                          uint16_t port) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return make_error(errc::io_error, std::string("socketpair: ") + std::strerror(errno));
  if (fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) != 0) {
    close(fds[0]);
    close(fds[1]);
    return make_error(errc::io_error, std::string("fcntl: ") + std::strerror(errno));
  }
  // The scribe owns fds[0] from here (CAF makes it non-blocking itself).
  auto scribe = sys.middleman().backend().new_scribe(fds[0]);
  caf::anon_send(broker, caf::publish_atom::value, std::move(scribe), port, whom, sigs);
  return fds[1];
}

} // namespace

void add_gate_options(args& a) {
  a.option("max-connections", "N", "peers connected at once; more are refused", false, "64");
  a.option("max-message-mb", "M",
           "largest message a peer may send, MB (a header claiming more disconnects it)", false,
           "256");
  a.option("max-buffered-mb", "M",
           "receive buffers of all connections together, MB (each keeps its largest message)",
           false, "512");
  a.option("stall-timeout-s", "S",
           "a peer silent this long in the middle of a message, or this long before its "
           "handshake, is disconnected",
           false, "10");
  a.option("tls-ca", "FILE", "mutual TLS: accept only peers whose certificate this CA signed");
  a.option("tls-cert", "FILE", "mutual TLS: this node's certificate (PEM)");
  a.option("tls-key", "FILE", "mutual TLS: this node's private key (PEM)");
}

actors::tls_paths tls_paths_from(const args& a) {
  actors::tls_paths p;
  if (a.has("tls-ca")) p.ca = a.get("tls-ca");
  if (a.has("tls-cert")) p.certificate = a.get("tls-cert");
  if (a.has("tls-key")) p.key = a.get("tls-key");
  return p;
}

expected<net::gate_options> gate_options_from(const args& a, const std::string& host, uint16_t port,
                                              bool& ok) {
  ok = false;
  int64_t connections = 0, message_mb = 0, buffered_mb = 0;
  double stall_s = 0;
  if (!a.get_int("max-connections", connections, 1, 100000) ||
      !a.get_int("max-message-mb", message_mb, 1, 4095) ||
      !a.get_int("max-buffered-mb", buffered_mb, 1, int64_t(1) << 30) ||
      !a.get_double("stall-timeout-s", stall_s))
    return make_error(errc::invalid_argument, "bad gate option");
  if (stall_s <= 0) {
    a.usage_error("--stall-timeout-s must be > 0");
    return make_error(errc::invalid_argument, "bad gate option");
  }
  net::gate_options o;
  o.host = host;
  o.port = port;
  o.max_connections = static_cast<int>(connections);
  o.max_buffered = static_cast<uint64_t>(buffered_mb) << 20;
  o.limits.max_payload = static_cast<uint64_t>(message_mb) << 20;
  o.limits.stall_timeout_s = stall_s;
  o.limits.handshake_timeout_s = stall_s;
  auto tls = tls_paths_from(a);
  if (tls.enabled() && (tls.ca.empty() || tls.certificate.empty() || tls.key.empty())) {
    a.usage_error("TLS needs all three of --tls-ca, --tls-cert and --tls-key");
    return make_error(errc::invalid_argument, "bad gate option");
  }
  ok = true;
  if (tls.enabled()) {
    auto server = net::tls_server::create({tls.ca, tls.certificate, tls.key});
    if (!server) return server.error();
    o.tls = *server;
  }
  return o;
}

expected<std::unique_ptr<net::gate>> open_node_gate(caf::actor_system& sys,
                                                    const caf::strong_actor_ptr& whom,
                                                    std::set<std::string> sigs,
                                                    net::gate_options opts,
                                                    std::shared_ptr<std::string> name) {
  auto broker = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  // The port CAF files the published actor under; only the gate's clients
  // see it (in the handshake), so any value works: use the public one once
  // known (opts.port may be 0 here).
  auto port = std::make_shared<uint16_t>(opts.port);
  auto log_mutex = std::make_shared<std::mutex>();
  auto log = [name, log_mutex](const std::string& line) {
    std::lock_guard<std::mutex> lock(*log_mutex);
    std::fprintf(stderr, "edgepipe node %s: %s\n", name->c_str(), line.c_str());
    std::fflush(stderr);
  };
  auto opener = [&sys, broker, whom, sigs, port]() {
    return hand_to_caf(sys, broker, whom, sigs, *port);
  };
  auto g = net::gate::open(std::move(opts), opener, log);
  if (g) *port = (*g)->port();
  return g;
}

} // namespace edgepipe::cli
