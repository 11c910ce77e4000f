#include "actors/transport.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

namespace edgepipe::actors {

void configure_tls(caf::actor_system_config& cfg, const tls_paths& paths) {
  if (!paths.enabled()) return;
  cfg.openssl_cafile = paths.ca;
  cfg.openssl_certificate = paths.certificate;
  cfg.openssl_key = paths.key;
  cfg.load<caf::openssl::manager>();
}

bool tls_enabled(caf::actor_system& sys) {
  return sys.has_openssl_manager() && sys.openssl_manager().authentication_enabled();
}

caf::io::middleman_actor connector(caf::actor_system& sys) {
  return tls_enabled(sys) ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
}

} // namespace edgepipe::actors
