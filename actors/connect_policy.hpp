// connect_policy: when connect_nodes tries a node again, and what it says
// when it gives up. CAF-free, so the decision is tested with given times.
//
// A refused connection (nothing listens on the port: loopback answers at
// once) is retried only while a node that was just started may still be
// opening its port; so is a connection the node closes during the handshake
// (TLS on one side only, a certificate it refuses: retrying will not help);
// other failures are retried until the connect timeout.
#pragma once

#include <cstdint>
#include <string>

namespace edgepipe::actors {

enum class connect_failure {
  refused,   // the host answered: nobody listens on that port
  handshake, // something listens but closed the connection during the handshake
  other,     // no answer, unreachable
};

// How long a just-started `edgepipe node` may take to listen.
constexpr double refused_grace_s = 2.0;

// Whether to try again, `elapsed_s` after the first attempt.
bool retry_connect(connect_failure failure, double elapsed_s, double timeout_s);

// "cannot reach node 'b' at 127.0.0.1:7002 (connection refused): is
// `edgepipe node` running there? (<cause>)"
std::string connect_error_message(const std::string& name, const std::string& host, uint16_t port,
                                  connect_failure failure, double elapsed_s,
                                  const std::string& cause);

} // namespace edgepipe::actors
