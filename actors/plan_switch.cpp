// The planner's deployment of a plan epoch, step by step, all asynchronous:
//   1. every stage's node loads its layer range (deploy_request);
//   2. every stage is wired to the next one (or the sink), connecting to its
//      node directly;
//   3. switch: a new encoder for link 0, the sink drops older epochs from
//      now on, the source replays what the sink has not answered through the
//      new stages; the old epoch's stages are retired.
// While 1 and 2 run, the old plan keeps computing: the pause a switch causes
// is only the replay of what was in flight (the sink measures it).
#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/encoder_actor.hpp"
#include "actors/errors.hpp"
#include "actors/planner_state.hpp"
#include "actors/sink_actor.hpp"
#include "actors/source_actor.hpp"

namespace edgepipe::actors {

namespace {

std::string node_label(const connected_node& n) {
  return "node '" + n.address.name + "' (" + n.address.host + ":" + std::to_string(n.address.port) +
         ")";
}

std::string stage_label(const runtime::stage_assignment& s, size_t i) {
  return "stage " + std::to_string(i) + " (layers " + std::to_string(s.first) + ".." +
         std::to_string(s.last) + ")";
}

void commit(planner_ptr self) {
  auto& st = self->state;
  epoch_deployment d = std::move(*st.next);
  st.next.reset();
  const auto& n0 = st.cfg.nodes[d.plan.stages[0].node];
  // Link 0: the source's raw images to the first stage.
  encoder_wiring w;
  w.epoch = d.plan.epoch;
  w.spec.link = 0;
  w.spec.window = st.cfg.window;
  w.spec.next_host = n0.address.host;
  w.spec.next_port = n0.address.port;
  w.next = d.stages[0];
  w.monitor = st.monitor;
  w.planner = self;
  auto encoder = spawn_encoder(self->system(), w);
  plan_change change{seconds_since_start(self), d.plan, d.reason, -1};
  if (!st.current) {
    source_config sc;
    sc.batches = std::make_shared<const std::vector<ops::tensor>>(st.cfg.work.batches);
    sc.masks = std::make_shared<const std::vector<ops::tensor>>(st.cfg.work.masks);
    sc.max_outstanding = st.cfg.max_outstanding;
    sc.max_attempts = st.cfg.max_attempts;
    sc.epoch = d.plan.epoch;
    st.source = spawn_source(self->system(), sc, encoder, st.sink);
    set_sink_source(st.sink, st.source);
    self->send(st.source, start_run{});
  } else {
    // From here the sink refuses the old plan's results and the source
    // replays what the sink has not answered. Whatever reaches the sink
    // first, a microbatch is delivered once: the sink drops duplicates.
    self->send(st.sink, set_epoch{d.plan.epoch});
    self->send(st.source, switch_epoch{d.plan.epoch, encoder});
    if (st.source_encoder) self->send_exit(st.source_encoder, caf::exit_reason::user_shutdown);
    retire_deployment(self, *st.current);
  }
  st.source_encoder = encoder;
  st.current = std::move(d);
  st.plans.push_back(change);
  st.recovery_failures = 0;
  // Every node of the plan just answered (its stages are wired): heard now.
  for (const auto& s : st.current->plan.stages)
    if (static_cast<size_t>(s.node) < st.last_heard_ns.size())
      st.last_heard_ns[s.node] = planner_now_ns();
  on_recovery_committed(self, st.current->plan.epoch);
  on_plan_committed(self);
}

void wire(planner_ptr self) {
  auto& st = self->state;
  auto& d = *st.next;
  size_t n = d.stages.size();
  d.waiting = n;
  double offset_s = seconds_since_start(self);
  for (size_t k = 0; k < n; ++k) {
    wire_request req;
    req.spec.epoch = d.plan.epoch;
    req.spec.stage = static_cast<uint32_t>(k);
    req.spec.out = d.links[k].out;
    req.spec.out.link = static_cast<uint32_t>(k + 1);
    req.spec.out.window = st.cfg.window;
    req.spec.out.shaper.start_offset_s = offset_s;
    if (k + 1 < n) {
      req.next = d.stages[k + 1];
      size_t from = d.plan.stages[k].node, to = d.plan.stages[k + 1].node;
      if (from != to) {
        req.spec.out.next_host = st.cfg.nodes[to].address.host;
        req.spec.out.next_port = st.cfg.nodes[to].address.port;
      }
    } else {
      req.next = st.sink; // the logits go to the run process raw and unshaped
      req.spec.out.bits = 0;
      req.spec.out.shaper = shaper_spec{};
    }
    req.monitor = st.monitor;
    req.planner = self;
    uint64_t epoch = d.plan.epoch;
    const auto& node = st.cfg.nodes[d.plan.stages[k].node];
    std::string label = stage_label(d.plan.stages[k], k) + " on " + node_label(node);
    self->request(d.stages[k], st.cfg.request_timeout, req)
        .then(
            [=](caf::ok_atom) {
              auto& s = self->state;
              if (!s.next || s.next->plan.epoch != epoch || s.next->failed) return;
              if (--s.next->waiting == 0) commit(self);
            },
            [=](caf::error& err) {
              auto& s = self->state;
              if (!s.next || s.next->plan.epoch != epoch) return;
              deployment_failed(self, "cannot wire " + label + ": " + describe(err));
            });
  }
}

} // namespace

void deployment_failed(planner_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.next || st.next->failed) return;
  st.next->failed = true;
  if (!st.current) {
    fail_run(self, why);
    return;
  }
  st.failures.push_back("plan epoch " + std::to_string(st.next->plan.epoch) + " abandoned: " + why);
  record_note(self, "plan epoch " + std::to_string(st.next->plan.epoch) + " abandoned: " + why,
              true);
  retire_deployment(self, *st.next);
  st.next.reset();
  // A broken plan must be replaced: the next tick tries again, a few times.
  if (st.current_broken && ++st.recovery_failures >= 3)
    fail_run(self, "no working plan after 3 attempts; the last: " + why);
}

size_t retire_deployment(planner_ptr self, epoch_deployment& d, std::function<void()> on_answer) {
  auto& st = self->state;
  size_t sent = 0;
  for (size_t i = 0; i < d.stages.size(); ++i) {
    if (!d.stages[i]) continue;
    self->demonitor(d.stages[i].address());
    size_t node = static_cast<size_t>(d.plan.stages[i].node);
    // A lost node's stages are gone with it (or retired by it as orphans).
    if (node < st.health.size() && !st.health[node].alive) continue;
    ++sent;
    self->request(st.cfg.nodes[node].actor, retire_timeout, retire_request{d.stages[i]})
        .then(
            [=](caf::ok_atom) {
              if (on_answer) on_answer();
            },
            [=](caf::error&) {
              if (on_answer) on_answer();
            });
  }
  d.stages.clear();
  return sent;
}

void deploy_plan(planner_ptr self, runtime::plan plan, std::string reason) {
  auto& st = self->state;
  epoch_deployment d;
  plan.epoch = st.next_epoch++;
  size_t n = plan.stages.size();
  d.stages.resize(n);
  plan.bits.resize(n, 0);
  for (size_t k = 0; k < n; ++k) {
    size_t from = plan.stages[k].node;
    size_t to = k + 1 < n ? plan.stages[k + 1].node : from;
    link_choice c = st.cfg.links ? st.cfg.links(k, from, to) : link_choice{};
    if (k + 1 == n) c = link_choice{}; // the last link carries logits raw
    // A link keeps its bits over a re-plan only if the plan said so; new
    // adaptive links start at their largest bitwidth until measured.
    if (k < plan.bits.size() && plan.bits[k] > 0 && c.adaptive) c.out.bits = plan.bits[k];
    plan.bits[k] = c.out.bits;
    d.links.push_back(c);
  }
  d.plan = std::move(plan);
  d.reason = std::move(reason);
  d.started_ns = planner_now_ns();
  d.waiting = n;
  st.next = std::move(d);
  uint64_t epoch = st.next->plan.epoch;
  // Stages refuse frames of more samples than the workload's largest microbatch.
  int32_t max_batch = std::max(1, st.cfg.work.microbatch);
  for (const auto& b : st.cfg.work.batches)
    if (!b.shape.empty() && b.shape[0] > max_batch) max_batch = static_cast<int32_t>(b.shape[0]);
  for (size_t k = 0; k < n; ++k) {
    const auto& s = st.next->plan.stages[k];
    const auto& node = st.cfg.nodes[s.node];
    deploy_request req;
    req.spec = st.cfg.model;
    req.spec.first = s.first;
    req.spec.last = s.last;
    req.spec.max_batch = max_batch;
    req.spec.threads =
        static_cast<size_t>(s.node) < st.cfg.threads.size() ? st.cfg.threads[s.node] : 0;
    req.epoch = epoch;
    req.stage = static_cast<uint32_t>(k);
    std::string label = stage_label(s, k) + " on " + node_label(node);
    self->request(node.actor, st.cfg.deploy_timeout, req)
        .then(
            [=](stage_actor& stage) {
              auto& s2 = self->state;
              if (!s2.next || s2.next->plan.epoch != epoch || s2.next->failed) {
                // Too late: its deployment was abandoned.
                caf::anon_send(self->state.cfg.nodes[s.node].actor, retire_request{stage});
                return;
              }
              self->monitor(stage);
              s2.next->stages[k] = stage;
              if (--s2.next->waiting == 0) wire(self);
            },
            [=](caf::error& err) {
              auto& s2 = self->state;
              if (!s2.next || s2.next->plan.epoch != epoch) return;
              deployment_failed(self, label + ": " + describe(err));
            });
  }
}

} // namespace edgepipe::actors
