#include "actors/connect_policy.hpp"

#include <algorithm>
#include <cstdio>

namespace edgepipe::actors {

bool retry_connect(connect_failure failure, double elapsed_s, double timeout_s) {
  const double limit =
      failure == connect_failure::other ? timeout_s : std::min(refused_grace_s, timeout_s);
  return elapsed_s < limit;
}

std::string connect_error_message(const std::string& name, const std::string& host, uint16_t port,
                                  connect_failure failure, double elapsed_s,
                                  const std::string& cause) {
  char waited[48];
  std::snprintf(waited, sizeof waited, "%.1f s", elapsed_s);
  const std::string where = "node '" + name + "' at " + host + ":" + std::to_string(port);
  if (failure == connect_failure::refused)
    return "cannot reach " + where + " (connection refused for " + waited +
           "): is `edgepipe node` running there? (" + cause + ")";
  if (failure == connect_failure::handshake)
    return "cannot reach " + where + ": it closed the connection during the handshake. Does " +
           "it use mutual TLS and this side not, or the other way round (the topology's tls: " +
           "section, `edgepipe node --tls-*`), or refuse this side's certificate? Its log says " +
           "why. (" + cause + ")";
  return "cannot reach " + where + " within " + waited +
         ": is `edgepipe node` running there, and is the host reachable? (" + cause + ")";
}

} // namespace edgepipe::actors
