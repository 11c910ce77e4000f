#include "actors/pipeline.hpp"

#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/bandwidth_monitor.hpp"
#include "actors/connect_policy.hpp"
#include "actors/encoder_actor.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/planner_actor.hpp"
#include "actors/source_actor.hpp"

namespace edgepipe::actors {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::string node_label(const connected_node& n) {
  return "node '" + n.address.name + "' (" + n.address.host + ":" + std::to_string(n.address.port) +
         ")";
}

std::string stage_label(const stage_placement& p, size_t i) {
  return "stage " + std::to_string(i) + " (layers " + std::to_string(p.spec.first) + ".." +
         std::to_string(p.spec.last) + ")";
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
      auto handle = sys.middleman().remote_actor(addr.host, addr.port);
      if (handle) {
        n.actor = *handle;
        break;
      }
      const auto failure = handle.error() == caf::sec::cannot_connect_to_node
                               ? connect_failure::refused
                               : connect_failure::other;
      const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
      if (!retry_connect(failure, elapsed, timeout_s))
        return make_error(errc::timeout,
                          connect_error_message(addr.name, addr.host, addr.port, failure, elapsed,
                                                describe(handle.error())));
      std::this_thread::sleep_for(100ms);
    }
    std::optional<edgepipe::error> failure;
    self->request(n.actor, timeout, info_atom::value)
        .receive([&](node_info& info) { n.info = std::move(info); },
                 [&](caf::error& err) {
                   failure = make_error(errc::io_error,
                                        node_label(n) + " did not report: " + describe(err));
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
    stage_spec spec = model;
    spec.threads = 0; // the node's own thread count
    std::optional<edgepipe::error> failure;
    self->request(n.actor, timeout, profile_atom::value, spec, static_cast<int32_t>(microbatch))
        .receive([&](std::vector<double>& times) { out.push_back(std::move(times)); },
                 [&](caf::error& err) {
                   failure = make_error(from_caf_error(err).code,
                                        node_label(n) + " cannot profile: " + describe(err));
                 });
    if (failure) return *failure;
  }
  return out;
}

namespace {

// Everything run_pipeline started, torn down on every exit path.
struct deployment {
  caf::scoped_actor& self;
  const std::vector<connected_node>& nodes;
  std::vector<stage_placement>& stages;
  std::vector<caf::actor> stage_actors;
  std::vector<caf::actor> local; // source, encoder, sink, monitor, planner
  std::chrono::milliseconds timeout;
  std::vector<bool> node_down = std::vector<bool>(nodes.size(), false);

  ~deployment() {
    for (auto& a : local)
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (size_t i = 0; i < stage_actors.size(); ++i) {
      if (!stage_actors[i]) continue;
      self->demonitor(stage_actors[i]);
      // A lost node would only let the request time out (CAF fails no
      // in-flight request when a peer dies): skip it.
      if (node_down[stages[i].node]) continue;
      self->request(nodes[stages[i].node].actor, std::min(timeout, std::chrono::milliseconds(5000)),
                    retire_atom::value, stage_actors[i])
          .receive([](caf::ok_atom) {}, [](caf::error&) {});
    }
  }
};

} // namespace

expected<run_result> run_pipeline(caf::actor_system& sys, const std::vector<connected_node>& nodes,
                                  std::vector<stage_placement> stages, const workload& work,
                                  const run_options& opts) {
  if (stages.empty())
    return make_error(errc::invalid_argument, "a pipeline needs at least one stage");
  for (auto& p : stages)
    if (p.node >= nodes.size())
      return make_error(errc::invalid_argument, "stage placed on an unknown node");
  caf::scoped_actor self{sys};
  deployment dep{
      self, nodes, stages, std::vector<caf::actor>(stages.size()), {}, opts.request_timeout};
  std::optional<edgepipe::error> failure;

  // 1. Every node loads its stage's layers from its own disk.
  for (const auto& n : nodes) self->monitor(n.actor);
  for (size_t i = 0; i < stages.size() && !failure; ++i) {
    const auto& node = nodes[stages[i].node];
    self->request(node.actor, opts.deploy_timeout, deploy_atom::value, stages[i].spec)
        .receive(
            [&](caf::actor& stage) {
              dep.stage_actors[i] = stage;
              self->monitor(stage);
            },
            [&](caf::error& err) {
              failure = make_error(from_caf_error(err).code, node_label(node) + " cannot deploy " +
                                                                 stage_label(stages[i], i) + ": " +
                                                                 describe(err));
            });
  }
  if (failure) return *failure;

  // 2. The run process's actors: sink, bandwidth monitor, planner.
  auto record = std::make_shared<run_record>(work.batches.size(), work.microbatch, work.labels,
                                             opts.keep_outputs);
  auto sink = spawn_sink(sys, record);
  std::vector<planned_link> links;
  for (size_t i = 0; i < stages.size(); ++i)
    links.push_back(planned_link{static_cast<uint32_t>(i + 1), dep.stage_actors[i],
                                 stages[i].adaptive, stages[i].min_bits, stages[i].max_bits,
                                 stages[i].out.bits, stages[i].out.clip});
  auto planner = spawn_planner(sys, links);
  auto monitor = spawn_bandwidth_monitor(sys, planner);
  dep.local = {sink, monitor, planner};

  // 3. Wire back to front: each stage connects to the next one's node itself.
  for (size_t k = stages.size(); k-- > 0 && !failure;) {
    link_spec out = stages[k].out;
    out.link = static_cast<uint32_t>(k + 1);
    out.window = opts.window;
    caf::actor next = sink;
    out.next_host.clear();
    out.next_port = 0;
    if (k + 1 < stages.size()) {
      next = dep.stage_actors[k + 1];
      if (stages[k + 1].node != stages[k].node) {
        out.next_host = nodes[stages[k + 1].node].address.host;
        out.next_port = nodes[stages[k + 1].node].address.port;
      }
    }
    self->request(dep.stage_actors[k], opts.request_timeout, wire_atom::value, out, next, monitor)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& err) {
                   failure =
                       make_error(errc::io_error, "cannot wire " + stage_label(stages[k], k) +
                                                      " on " + node_label(nodes[stages[k].node]) +
                                                      ": " + describe(err));
                 });
  }
  if (failure) return *failure;

  // 4. Source -> encoder (link 0, raw float32) -> stage 0.
  link_spec first_link;
  first_link.link = 0;
  first_link.window = opts.window;
  auto encoder = spawn_encoder(sys, first_link, dep.stage_actors[0], monitor);
  auto batches = std::make_shared<const std::vector<ops::tensor>>(work.batches);
  auto source = spawn_source(sys, encoder, batches, record, opts.max_in_pipeline);
  if (opts.max_in_pipeline > 0) set_sink_notify(sink, source);
  dep.local.push_back(encoder);
  dep.local.push_back(source);
  self->send(source, start_atom::value);

  // 5. Wait for the sink, watching every node and stage.
  auto started = clock_type::now();
  auto last_progress = started;
  uint64_t last_answered = 0;
  for (;;) {
    self->receive(
        [&](caf::down_msg& dm) {
          for (size_t i = 0; i < stages.size(); ++i)
            if (dep.stage_actors[i] && dm.source == dep.stage_actors[i].address()) {
              failure = make_error(errc::io_error, stage_label(stages[i], i) + " on " +
                                                       node_label(nodes[stages[i].node]) +
                                                       " went down: " + describe(dm.reason));
              dep.stage_actors[i] = caf::actor{};
              // Its node may be gone too; if not, it retires the stages of a
              // deployer that went away anyway.
              dep.node_down[stages[i].node] = true;
            }
          for (size_t n = 0; n < nodes.size(); ++n)
            if (dm.source == nodes[n].actor.address()) {
              dep.node_down[n] = true;
              failure = make_error(errc::io_error,
                                   node_label(nodes[n]) + " went down: " + describe(dm.reason));
            }
        },
        caf::after(250ms) >> [] {});
    if (failure) return *failure;
    auto s = record->summary();
    if (opts.progress) opts.progress(s);
    auto now = clock_type::now();
    if (s.complete()) break;
    if (s.answered != last_answered) {
      last_answered = s.answered;
      last_progress = now;
    }
    if (opts.stall_timeout.count() > 0 && now - last_progress > opts.stall_timeout) break;
    if (opts.run_timeout.count() > 0 && now - started > opts.run_timeout) break;
  }

  // 6. Results.
  run_result result;
  result.summary = record->summary();
  result.outputs = record->outputs();
  result.predictions = record->predictions();
  self->request(planner, opts.request_timeout, caf::get_atom::value)
      .receive([&](std::vector<int32_t>& bits) { result.bits_out = std::move(bits); },
               [](caf::error&) {});
  self->request(monitor, opts.request_timeout, caf::get_atom::value)
      .receive([&](std::vector<double>& mbps) { result.link_mbps = std::move(mbps); },
               [](caf::error&) {});
  for (size_t i = 0; i < stages.size(); ++i) {
    double ms = 0;
    self->request(dep.stage_actors[i], opts.request_timeout, stats_atom::value)
        .receive([&](uint64_t frames,
                     int64_t compute_ns) { ms = frames ? compute_ns / 1e6 / frames : 0; },
                 [](caf::error&) {});
    result.stage_compute_ms.push_back(ms);
  }
  for (const auto& n : nodes) self->demonitor(n.actor);
  return result;
}

} // namespace edgepipe::actors
