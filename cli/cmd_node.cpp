// edgepipe node: a device daemon. Publishes a node actor on --listen, prints
// "edgepipe node NAME listening on HOST:PORT" (the port it bound: port 0
// picks a free one) and serves deployments until SIGINT/SIGTERM or a
// shutdown message.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <pthread.h>
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
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  double hb_interval = 0, hb_timeout = 0;
  if (!a.get_double("heartbeat-interval-s", hb_interval) ||
      !a.get_double("heartbeat-timeout-s", hb_timeout))
    return exit_usage;
  if (hb_interval <= 0 || hb_timeout <= hb_interval)
    return a.usage_error("--heartbeat-timeout-s must exceed --heartbeat-interval-s > 0");
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
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
  auto node = actors::spawn_node(sys, info,
                                 std::move(*roots)); // name filled in below, once the port is known
  auto bound =
      sys.middleman().publish(node, static_cast<uint16_t>(port),
                              host.empty() || host == "0.0.0.0" ? nullptr : host.c_str(), true);
  if (!bound) {
    std::fprintf(stderr, "edgepipe node: cannot listen on %s: %s\n", listen.c_str(),
                 actors::describe(bound.error()).c_str());
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return exit_failure;
  }
  std::string name =
      a.has("name") && !a.get("name").empty() ? a.get("name") : host + ":" + std::to_string(*bound);
  caf::anon_send(node, actors::set_node_name{name});
  std::printf("edgepipe node %s listening on %s:%u\n", name.c_str(), host.c_str(),
              unsigned(*bound));
  std::fflush(stdout);

  // Unpublish first, so nobody connecting meanwhile gets a dead handle.
  uint16_t bound_port = *bound;
  std::thread([stop_signals, node, bound_port, &sys]() mutable {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sys.middleman().unpublish(node, bound_port);
    caf::anon_send(node, actors::shutdown_request{});
  }).detach();

  caf::scoped_actor self{sys};
  self->monitor(node);
  self->receive([](caf::down_msg&) {});
  sys.middleman().unpublish(node, *bound); // when asked by message: no-op after a signal
  std::fprintf(stderr, "edgepipe node %s: stopped\n", name.c_str());
  return exit_ok;
}

command_registrar reg{{"node", "run a device daemon hosting pipeline stages", run_node}};

} // namespace

} // namespace edgepipe::cli
