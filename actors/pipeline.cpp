#include "actors/pipeline.hpp"

#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/connect_policy.hpp"
#include "actors/errors.hpp"
#include "actors/transport.hpp"

namespace edgepipe::actors {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::string node_label(const node_address& a) {
  return "node '" + a.name + "' (" + a.host + ":" + std::to_string(a.port) + ")";
}

} // namespace

expected<std::vector<connected_node>> connect_nodes(caf::actor_system& sys,
                                                    const std::vector<node_address>& nodes,
                                                    std::chrono::milliseconds timeout) {
  std::vector<connected_node> out;
  caf::scoped_actor self{sys};
  for (const auto& addr : nodes) {
    connected_node n;
    n.address = addr;
    const auto start = clock_type::now();
    const double timeout_s = std::chrono::duration<double>(timeout).count();
    for (;;) {
      // With TLS, through CAF's OpenSSL module: the node's gate takes nothing else.
      auto handle = tls_enabled(sys)
                        ? caf::openssl::remote_actor<node_actor>(sys, addr.host, addr.port)
                        : sys.middleman().remote_actor<node_actor>(addr.host, addr.port);
      if (handle) {
        n.actor = *handle;
        break;
      }
      // A node being started is not listening yet: retry a refusal briefly,
      // then say what is most likely wrong.
      const auto failure =
          handle.error() == caf::sec::cannot_connect_to_node        ? connect_failure::refused
          : handle.error() == caf::sec::disconnect_during_handshake ? connect_failure::handshake
                                                                    : connect_failure::other;
      const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
      if (!retry_connect(failure, elapsed, timeout_s))
        return make_error(errc::timeout,
                          connect_error_message(addr.name, addr.host, addr.port, failure, elapsed,
                                                describe(handle.error())));
      std::this_thread::sleep_for(100ms);
    }
    std::optional<edgepipe::error> failure;
    self->request(n.actor, timeout, get_node_info{})
        .receive([&](node_info& info) { n.info = std::move(info); },
                 [&](caf::error& err) {
                   failure = make_error(errc::io_error,
                                        node_label(addr) + " did not report: " + describe(err));
                 });
    if (failure) return *failure;
    out.push_back(std::move(n));
  }
  return out;
}

expected<std::vector<std::vector<double>>> profile_nodes(caf::actor_system& sys,
                                                         const std::vector<connected_node>& nodes,
                                                         const stage_spec& model, int microbatch,
                                                         std::chrono::milliseconds timeout) {
  std::vector<std::vector<double>> out;
  caf::scoped_actor self{sys};
  for (const auto& n : nodes) {
    profile_request req{model, static_cast<int32_t>(microbatch)};
    req.spec.threads = 0; // the node's own thread count
    std::optional<edgepipe::error> failure;
    self->request(n.actor, timeout, req)
        .receive([&](layer_times& times) { out.push_back(std::move(times.seconds)); },
                 [&](caf::error& err) {
                   failure =
                       make_error(from_caf_error(err).code,
                                  node_label(n.address) + " cannot profile: " + describe(err));
                 });
    if (failure) return *failure;
  }
  return out;
}

expected<run_outcome> run_pipeline(caf::actor_system& sys, pipeline_config cfg,
                                   std::function<void(const run_progress&)> progress,
                                   std::function<void(const planner_actor&)> started) {
  if (cfg.plan.stages.empty())
    return make_error(errc::invalid_argument, "a pipeline needs at least one stage");
  for (const auto& s : cfg.plan.stages)
    if (s.node < 0 || static_cast<size_t>(s.node) >= cfg.nodes.size())
      return make_error(errc::invalid_argument, "stage placed on an unknown node");
  caf::scoped_actor self{sys};
  auto planner = spawn_planner(sys, std::move(cfg));
  if (started) started(planner);
  // The outcome arrives as the answer to run_request, progress as messages
  // in between: no polling.
  self->monitor(planner); // an answer or its end, never a hang
  self->send(planner, run_request{caf::actor_cast<caf::actor>(self)});
  std::optional<expected<run_outcome>> result;
  while (!result)
    self->receive(
        [&](run_progress& p) {
          if (progress) progress(p);
        },
        [&](run_outcome& o) { result = std::move(o); },
        [&](caf::error& err) { result = from_caf_error(err); },
        [&](caf::down_msg& dm) {
          result = make_error(errc::internal,
                              "the planner ended without an answer: " + describe(dm.reason));
        });
  return std::move(*result);
}

} // namespace edgepipe::actors
