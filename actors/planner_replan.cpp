// The planner's re-planning, about once a second while the run goes: the
// measured stage times and link estimates of the running plan, the nodes'
// profiled layer times and the configured links go into runtime::replanner;
// a `repartition` decision is deployed as the next epoch (plan_switch.cpp)
// while the current one keeps computing. Bits stay with the bit controller.
#include <cmath>
#include <limits>

#include <caf/typed_event_based_actor.hpp>

#include "actors/planner_state.hpp"
#include "runtime/timeline.hpp"

namespace edgepipe::actors {

namespace {

constexpr int64_t replan_interval_ns = 1'000'000'000;
// A stage's time is trusted once it has computed this many microbatches.
constexpr uint64_t min_computed = 4;
// A link measured by an earlier plan is believed this long, then the
// configured rate applies again.
constexpr int64_t pair_memory_ns = 30'000'000'000;

double configured_rate(const link_choice& c) {
  const auto& s = c.out.shaper;
  if (s.mode == shaper_spec::fixed) return s.mbps;
  if (s.mode == shaper_spec::trace && !s.trace_mbps.empty()) {
    double sum = 0;
    for (double m : s.trace_mbps) sum += m;
    return sum / static_cast<double>(s.trace_mbps.size());
  }
  return std::numeric_limits<double>::infinity();
}

} // namespace

runtime::replan_inputs replan_inputs_now(planner_ptr self) {
  auto& st = self->state;
  const auto& d = *st.current;
  runtime::replan_inputs in;
  in.current = d.plan;
  in.now_ns = planner_now_ns();
  size_t n = st.cfg.nodes.size();
  for (size_t i = 0; i < n; ++i) {
    runtime::node_state ns;
    ns.name = st.cfg.nodes[i].address.name;
    if (i < st.cfg.layer_seconds.size()) ns.baseline_layer_s = st.cfg.layer_seconds[i];
    // Not profiled (an explicit plan without re-planning): every layer
    // counts the same, so a plan after a fault splits the layers evenly.
    if (ns.baseline_layer_s.empty())
      ns.baseline_layer_s.assign(st.cfg.layer_weights_mb.size(), 1e-3);
    ns.memory_mb = static_cast<double>(st.cfg.nodes[i].info.memory_mb);
    ns.alive = i >= st.health.size() || st.health[i].alive;
    in.nodes.push_back(std::move(ns));
  }
  in.layer_weights_mb = st.cfg.layer_weights_mb;
  in.layer_output_elements = st.cfg.layer_output_elements;
  in.input_elements = st.cfg.input_elements;
  in.microbatch = st.cfg.work.microbatch;
  // A stage behind a stalled link may have computed too little to be timed:
  // it counts as not measured (its profile stands).
  if (st.stage_latest.size() == d.plan.stages.size())
    for (const auto& r : st.stage_latest)
      in.stage_compute_s.push_back(r.computed >= min_computed ? r.ms_per_microbatch / 1e3 : 0);
  for (size_t k = 0; k + 1 < d.plan.stages.size(); ++k) {
    runtime::measured_link m;
    auto e = effective_estimate(self, k);
    if (e.mbps > 0) m = runtime::measured_link{true, e.mbps, e.lower_bound};
    in.stage_links.push_back(m);
  }
  in.pair_links.assign(n * n, runtime::measured_link{});
  for (const auto& [pair, entry] : st.pair_estimates)
    if (in.now_ns - entry.second < pair_memory_ns)
      in.pair_links[pair] = runtime::measured_link{true, entry.first.mbps, entry.first.lower_bound};
  in.configured_mbps.assign(n * n, std::numeric_limits<double>::infinity());
  in.min_bits.assign(n * n, 0);
  in.max_bits.assign(n * n, 0);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b || !st.cfg.links) continue;
      // By node pair only: the plan's stage numbers change with the plan.
      link_choice c = st.cfg.links(static_cast<size_t>(-1), a, b);
      in.configured_mbps[a * n + b] = configured_rate(c);
      in.min_bits[a * n + b] = c.adaptive ? c.min_bits : c.out.bits;
      in.max_bits[a * n + b] = c.adaptive ? c.max_bits : c.out.bits;
    }
  return in;
}

runtime::replanner& replanner_of(planner_ptr self) {
  auto& st = self->state;
  if (!st.replanner) {
    runtime::replanner_options o;
    o.margin = st.cfg.planner.margin;
    o.min_interval_s = st.cfg.planner.min_interval_s;
    o.switch_cost_s = st.cfg.planner.switch_cost_s;
    o.target_images_per_s = st.cfg.planner.target_images_per_s;
    st.replanner = std::make_unique<runtime::replanner>(o);
  }
  return *st.replanner;
}

void consider_replan(planner_ptr self) {
  auto& st = self->state;
  if (!st.cfg.planner.replan || !st.current || st.next || st.finishing || st.current_broken) return;
  int64_t now = planner_now_ns();
  if (now - st.last_replan_check_ns < replan_interval_ns) return;
  st.last_replan_check_ns = now;
  const auto& d = *st.current;
  if (st.stage_latest.size() < d.stages.size()) return;
  uint64_t timed = 0;
  for (const auto& r : st.stage_latest) timed += r.computed >= min_computed ? 1 : 0;
  if (timed == 0) return;
  auto decision = replanner_of(self).decide(replan_inputs_now(self));
  if (!decision) {
    st.failures.push_back("re-planner: " + decision.error().message);
    return;
  }
  switch (decision->action) {
  case runtime::replan_action::repartition:
    deploy_plan(self, decision->next, decision->reason);
    break;
  case runtime::replan_action::give_up:
    if (!st.gave_up_noted) record_note(self, "re-planner: " + decision->reason, true);
    st.gave_up_noted = true;
    break;
  case runtime::replan_action::keep:
  case runtime::replan_action::change_bits: // the bit controller owns bits
    break;
  }
}

} // namespace edgepipe::actors
