// edgepipe node: a device daemon. Serves a node actor on --listen through a
// gate (cli/node_gate.hpp: connection cap, message limits, optional mutual
// TLS), prints "edgepipe node NAME listening on HOST:PORT" (the port it
// bound: port 0 picks a free one) and serves deployments until
// SIGINT/SIGTERM or a shutdown message.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/errors.hpp"
#include "actors/node_actor.hpp"
#include "actors/register_types.hpp"
#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/gate_options.hpp"
#include "cli/node_gate.hpp"
#include "cli/stop_signals.hpp"
#include "config/thread_warnings.hpp"

namespace edgepipe::cli {

namespace {

int run_node(int argc, char** argv) {
  args a("node", "Run a device daemon that hosts pipeline stages for `edgepipe run`.");
  a.option("listen", "HOST:PORT", "address to listen on (port 0: pick a free port, printed)", true);
  a.option("name", "NAME", "the node's name (default: HOST:PORT)");
  a.option("threads", "N", "compute threads per stage", false, "1");
  a.option("memory-mb", "M", "memory this node offers, MB (reported to the planner; 0 = unlimited)",
           false, "0");
  a.option("model-root", "DIR",
           "serve model directories inside DIR (repeatable; `..` and symbolic links are resolved "
           "first). Without any: synthetic models only");
  a.option("heartbeat-interval-s", "S", "middleman heartbeat to every peer", false, "0.5");
  a.option("heartbeat-timeout-s", "S", "a silent peer is lost after this long", false, "3");
  add_gate_options(a);
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;
  std::string listen = a.get("listen");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return a.usage_error("--listen wants HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (colon + 1 == listen.size() || *end != '\0' || port < 0 || port > 65535)
    return a.usage_error("--listen: bad port in '" + listen + "'");
  int64_t threads = 1, memory_mb = 0;
  if (!a.get_int("threads", threads, 1, 1024) ||
      !a.get_int("memory-mb", memory_mb, 0, int64_t(1) << 40))
    return exit_usage;

  auto roots = actors::model_roots::create(a.get_all("model-root"));
  if (!roots) return a.usage_error(roots.error().message);

  // SIGINT/SIGTERM go to one waiting thread (blocked everywhere else, also in
  // CAF's threads, which inherit this mask): it asks the node actor to quit.
  sigset_t stop_signals = block_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);

  double hb_interval = 0, hb_timeout = 0;
  if (!a.get_double("heartbeat-interval-s", hb_interval) ||
      !a.get_double("heartbeat-timeout-s", hb_timeout))
    return exit_usage;
  if (hb_interval <= 0 || hb_timeout <= hb_interval)
    return a.usage_error("--heartbeat-timeout-s must exceed --heartbeat-interval-s > 0");
  bool gate_ok = false;
  auto gate_opts = gate_options_from(a, host, static_cast<uint16_t>(port), gate_ok);
  if (!gate_ok) return exit_usage;
  if (!gate_opts) {
    std::fprintf(stderr, "edgepipe node: %s\n", gate_opts.error().message.c_str());
    return exit_usage;
  }
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
  actors::configure_tls(cfg, tls_paths_from(a)); // this node's own connections to the next stage
  cfg.set("middleman.heartbeat-interval",
          caf::timespan{std::chrono::milliseconds(static_cast<int64_t>(hb_interval * 1000))});
  cfg.set("middleman.connection-timeout",
          caf::timespan{std::chrono::milliseconds(static_cast<int64_t>(hb_timeout * 1000))});
  caf::actor_system sys{cfg};

  actors::node_info info;
  info.host = host;
  info.threads = static_cast<int32_t>(threads);
  info.memory_mb = memory_mb;
  info.pid = static_cast<int32_t>(getpid());
  info.cores = static_cast<int32_t>(config::cores_here());
  auto node = actors::spawn_node(sys, info,
                                 std::move(*roots)); // name filled in below, once the port is known
  auto name = std::make_shared<std::string>(a.has("name") ? a.get("name") : "");
  auto gate = open_node_gate(sys, caf::actor_cast<caf::strong_actor_ptr>(node),
                             sys.message_types(node), std::move(*gate_opts), name);
  if (!gate) {
    std::fprintf(stderr, "edgepipe node: cannot listen on %s: %s\n", listen.c_str(),
                 gate.error().message.c_str());
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return exit_failure;
  }
  const uint16_t bound = (*gate)->port();
  if (name->empty()) *name = host + ":" + std::to_string(bound);
  caf::anon_send(node, actors::set_node_name{*name});
  (*gate)->start();
  std::printf("edgepipe node %s listening on %s:%u%s\n", name->c_str(), host.c_str(),
              unsigned(bound), tls_paths_from(a).enabled() ? " (mutual TLS)" : "");
  std::fflush(stdout);

  // Close the door first, so nobody connecting meanwhile gets a dead handle.
  net::gate* door = gate->get();
  std::thread([stop_signals, node, door]() mutable {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    door->stop();
    caf::anon_send(node, actors::shutdown_request{});
  }).detach();

  caf::scoped_actor self{sys};
  self->monitor(node);
  self->receive([](caf::down_msg&) {});
  (*gate)->stop(); // when asked by message: no-op after a signal
  std::fprintf(stderr, "edgepipe node %s: stopped\n", name->c_str());
  return exit_ok;
}

command_registrar reg{{"node", "run a device daemon hosting pipeline stages", run_node}};

} // namespace

} // namespace edgepipe::cli
