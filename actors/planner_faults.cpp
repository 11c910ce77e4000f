// The planner's handling of lost nodes. A node is lost when the run
// process's connection to it breaks: killed (the connection closes at once)
// or hung (silent past the middleman's heartbeat timeout). Either way CAF
// reports its actors down, and a lost node is one more reason to re-plan:
//   1. the node is marked lost; a deployment under way that needs it is
//      abandoned;
//   2. if the running plan uses it, the re-planner plans over the alive
//      nodes (it replaces a plan that cannot run at once, whatever the
//      margin), and the new epoch is deployed; at its commit the source
//      replays every microbatch the sink has not answered, and the sink
//      drops whatever the old epoch still delivers (a resumed node's late
//      outputs included). The sink measures the pause: the interruption;
//   3. when no plan fits the survivors' memory, the run ends at once with
//      the re-planner's reason and the unanswered microbatches;
//   4. a lost node is tried again every rejoin_interval; once it answers
//      it is alive again and (replan_on_rejoin) the run's own plan comes
//      back when all its nodes are alive, or the re-planner considers it.
#include <cstdio>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errors.hpp"
#include "actors/planner_state.hpp"
#include "actors/transport.hpp"

namespace edgepipe::actors {

namespace {

// How long one attempt to reach a lost node may take: a hung node accepts
// the TCP connection (the kernel does) but never answers the handshake.
constexpr auto rejoin_attempt_timeout = std::chrono::seconds(2);

std::string node_name(planner_ptr self, size_t node) {
  return "'" + self->state.cfg.nodes[node].address.name + "'";
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

bool plan_uses_node(const runtime::plan& p, size_t node) {
  for (const auto& s : p.stages)
    if (static_cast<size_t>(s.node) == node) return true;
  return false;
}

void note(planner_ptr self, const std::string& text, bool fault, size_t node) {
  record_note(self, text, fault, self->state.cfg.nodes[node].address.name);
  self->state.notes.push_back(text);
}

// The running plan cannot go on (it uses a lost node): plan over the alive
// nodes now.
void replace_broken_plan(planner_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.finishing || !st.current) return;
  if (st.next) return; // a plan on alive nodes is being deployed: it replaces this one
  if (st.cfg.layer_weights_mb.empty()) {
    fail_run(self, why + "; no plan without it: the pipeline was given no layer sizes to re-plan");
    return;
  }
  auto d = replanner_of(self).decide(replan_inputs_now(self));
  if (!d) {
    fail_run(self, why + "; cannot re-plan: " + d.error().message);
    return;
  }
  switch (d->action) {
  case runtime::replan_action::repartition:
  case runtime::replan_action::change_bits:
    if (plan_uses_lost_node(self, d->next)) break;
    deploy_plan(self, d->next, why + "; " + d->reason);
    return;
  case runtime::replan_action::give_up:
    fail_run(self, why + "; " + d->reason);
    return;
  case runtime::replan_action::keep:
    break;
  }
  fail_run(self, why + "; the re-planner found no plan without it (" + d->reason + ")");
}

// Node `node` answered again: it is alive, with a fresh handle.
void rejoined(planner_ptr self, size_t node, node_actor handle, node_info info) {
  auto& st = self->state;
  auto& h = st.health[node];
  h.reconnecting = false;
  if (st.finishing || h.alive) return;
  h.alive = true;
  st.cfg.nodes[node].actor = handle;
  st.cfg.nodes[node].info = std::move(info);
  self->monitor(handle);
  double away_s = (planner_now_ns() - h.lost_ns) / 1e9;
  if (h.fault < st.faults.size()) st.faults[h.fault].rejoined_t_s = seconds_since_start(self);
  note(self, "node " + node_name(self, node) + " rejoined after " + seconds_text(away_s), false,
       node);
  if (st.cfg.replan_on_rejoin) st.rejoin_pending = "node " + node_name(self, node) + " rejoined";
}

void attempt_rejoin(planner_ptr self, size_t node) {
  auto& st = self->state;
  auto& h = st.health[node];
  h.reconnecting = true;
  const auto addr = st.cfg.nodes[node].address;
  auto mm = connector(self->system()); // TLS when the run has it
  auto retry_later = [=] {
    auto& h2 = self->state.health[node];
    h2.reconnecting = false;
    h2.next_attempt_ns =
        planner_now_ns() + std::chrono::nanoseconds(self->state.cfg.rejoin_interval).count();
  };
  self->request(mm, rejoin_attempt_timeout, caf::connect_atom::value, addr.host, addr.port)
      .then(
          [=](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
            auto handle = caf::actor_cast<node_actor>(ptr);
            if (!handle) return retry_later();
            self->request(handle, rejoin_attempt_timeout, get_node_info{})
                .then([=](node_info& info) { rejoined(self, node, handle, std::move(info)); },
                      [=](caf::error&) { retry_later(); });
          },
          [=](caf::error&) { retry_later(); });
}

// After a rejoin: the run's own plan once all its nodes are back, or (when
// the run re-plans) whatever the re-planner makes of the node.
void plan_for_rejoin(planner_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.cfg.planner.replan) {
    consider_replan(self);
    return;
  }
  const runtime::plan& wanted = st.cfg.plan;
  if (plan_uses_lost_node(self, wanted)) return; // not all of its nodes are back yet
  if (!runtime::same_partition(st.current->plan, wanted))
    deploy_plan(self, wanted, why + ": back to the topology's plan");
}

} // namespace

bool plan_uses_lost_node(planner_ptr self, const runtime::plan& p) {
  const auto& health = self->state.health;
  for (const auto& s : p.stages)
    if (static_cast<size_t>(s.node) < health.size() && !health[s.node].alive) return true;
  return false;
}

// How a node's loss is described: killed shows as a connection closed at
// once; hung as silence up to the heartbeat timeout before that.
std::string loss_cause(planner_ptr self, size_t node) {
  auto& st = self->state;
  if (node >= st.last_heard_ns.size() || st.last_heard_ns[node] == 0)
    return "connection lost"; // it hosted no stage: nothing to tell by
  double silent_s = (planner_now_ns() - st.last_heard_ns[node]) / 1e9;
  double timeout_s = std::chrono::duration<double>(st.cfg.heartbeat_timeout).count();
  if (timeout_s > 0 && silent_s >= 0.8 * timeout_s)
    return "silent for " + seconds_text(silent_s) + " (heartbeat timeout " +
           seconds_text(timeout_s) + ")";
  return "connection closed (last heard " + seconds_text(silent_s) + " before)";
}

void on_node_lost(planner_ptr self, size_t node, const std::string& cause) {
  auto& st = self->state;
  if (st.finishing || node >= st.health.size() || !st.health[node].alive) return;
  auto& h = st.health[node];
  int64_t now = planner_now_ns();
  h.alive = false;
  h.lost_ns = now;
  h.cause = cause;
  h.next_attempt_ns = now + std::chrono::nanoseconds(st.cfg.rejoin_interval).count();
  h.fault = st.faults.size();
  st.faults.push_back(
      fault_event{seconds_since_start(self), st.cfg.nodes[node].address.name, cause, 0, -1});
  std::string why = "node " + node_name(self, node) + " lost: " + cause;
  note(self, why, true, node);
  if (st.next && plan_uses_node(st.next->plan, node)) deployment_failed(self, why);
  if (st.finishing) return;
  if (st.current && plan_uses_node(st.current->plan, node)) {
    st.current_broken = true;
    replace_broken_plan(self, why);
  }
}

void on_stage_down(planner_ptr self, const caf::actor_addr& stage, const caf::error& reason) {
  auto& st = self->state;
  for (auto* d : {st.current ? &*st.current : nullptr, st.next ? &*st.next : nullptr}) {
    if (!d) continue;
    for (size_t i = 0; i < d->stages.size(); ++i) {
      if (!d->stages[i] || d->stages[i].address() != stage) continue;
      size_t node = static_cast<size_t>(d->plan.stages[i].node);
      if (reason == caf::exit_reason::remote_link_unreachable) {
        // Its node's connection broke: the node is lost, not just the stage.
        on_node_lost(self, node, loss_cause(self, node));
        return;
      }
      std::string why = "stage " + std::to_string(i) + " on node " + node_name(self, node) +
                        " went down: " + describe(reason);
      d->stages[i] = stage_actor{};
      if (d == (st.next ? &*st.next : nullptr)) {
        deployment_failed(self, why);
        return;
      }
      // The node lives: the same plan again, as a new epoch.
      note(self, why, true, node);
      st.current_broken = true;
      if (!st.next) deploy_plan(self, st.current->plan, why + "; deploying the plan again");
      return;
    }
  }
}

void try_rejoins(planner_ptr self) {
  auto& st = self->state;
  if (st.finishing) return;
  int64_t now = planner_now_ns();
  for (size_t i = 0; i < st.health.size(); ++i) {
    auto& h = st.health[i];
    if (!h.alive && !h.reconnecting && now >= h.next_attempt_ns) attempt_rejoin(self, i);
  }
  if (st.current_broken && !st.next && st.current) {
    replace_broken_plan(
        self, "the running plan is broken (" +
                  std::string(st.faults.empty() ? "a stage failed" : st.faults.back().cause) + ")");
    return;
  }
  if (!st.rejoin_pending.empty() && !st.next && st.current && !st.current_broken) {
    std::string why = std::move(st.rejoin_pending);
    st.rejoin_pending.clear();
    plan_for_rejoin(self, why);
  }
}

void on_recovery_committed(planner_ptr self, uint64_t epoch) {
  auto& st = self->state;
  if (!st.current_broken) return;
  st.current_broken = false;
  for (auto& f : st.faults)
    if (f.recovery_epoch == 0) f.recovery_epoch = epoch;
}

} // namespace edgepipe::actors
