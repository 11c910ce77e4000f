#include "cli/gate_options.hpp"

#include "cli/args.hpp"

namespace edgepipe::cli {

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

expected<void> check_topology_tls(const config::topology& topo) {
  if (!topo.tls.enabled()) return {};
  auto loaded = net::tls_server::create({topo.tls.ca, topo.tls.certificate, topo.tls.key});
  if (!loaded)
    return make_error(errc::invalid_input, topo.tls.pos.str() + ": tls: " + loaded.error().message);
  return {};
}

} // namespace edgepipe::cli
