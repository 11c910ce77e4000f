// transport: whether this process talks to nodes in the clear or over mutual
// TLS, in one place. With TLS configured (the CA, this process's certificate
// and key), every connection it opens to a node (connect_nodes, a stage to
// the next stage's node) goes through CAF's OpenSSL module and verifies the
// node's certificate against the CA; the node's gate verifies ours.
#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

namespace edgepipe::actors {

struct tls_paths {
  std::string ca, certificate, key;
  bool enabled() const { return !ca.empty() || !certificate.empty() || !key.empty(); }
};

// Loads CAF's OpenSSL module with these files (call before the actor system
// is made). Nothing when `paths` is empty.
void configure_tls(caf::actor_system_config& cfg, const tls_paths& paths);

// Whether configure_tls enabled TLS for this system.
bool tls_enabled(caf::actor_system& sys);

// The middleman actor that opens this system's outgoing connections
// (request caf::connect_atom from it): CAF's OpenSSL one with TLS.
caf::io::middleman_actor connector(caf::actor_system& sys);

} // namespace edgepipe::actors
