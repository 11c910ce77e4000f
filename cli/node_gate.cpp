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
  // A message of a MiB crosses in fewer wake-ups with larger socket buffers
  // (the kernel's default for a socketpair is ~200 kB).
  const int buffer = 1 << 20;
  for (int fd : fds) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  // The scribe owns fds[0] from here (CAF makes it non-blocking itself).
  auto scribe = sys.middleman().backend().new_scribe(fds[0]);
  caf::anon_send(broker, caf::publish_atom::value, std::move(scribe), port, whom, sigs);
  return fds[1];
}

} // namespace

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
