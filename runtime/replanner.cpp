#include "runtime/replanner.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "runtime/replan_model.hpp"

namespace edgepipe::runtime {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

std::string ms(double seconds) {
  if (std::isinf(seconds)) return "forever";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g ms", seconds * 1e3);
  return buf;
}

std::string number(const char* format, double value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// "a[1..12] -> c[13..24]"
std::string plan_text(const replan_model& m, const plan& p) {
  std::string out;
  for (const stage_assignment& s : p.stages)
    out += (out.empty() ? "" : " -> ") + m.name(s.node) + "[" + std::to_string(s.first) + ".." +
           std::to_string(s.last) + "]";
  return out;
}

std::string bits_text(int bits) {
  return bits == 0 ? "float32 needs" : std::to_string(bits) + " bits need";
}

// What limits `p`'s period: its slowest stage's compute or transfer.
std::string bottleneck(const replan_model& m, const plan& p, const planner::plan& eval,
                       const std::vector<double>& slowdown) {
  size_t worst = 0;
  for (size_t i = 1; i < eval.stages.size(); ++i)
    if (std::max(eval.stages[i].compute_s, eval.stages[i].send_s) >
        std::max(eval.stages[worst].compute_s, eval.stages[worst].send_s))
      worst = i;
  const planner::stage& s = eval.stages[worst];
  int stage = static_cast<int>(worst);
  if (s.compute_s >= s.send_s) {
    std::string out = describe_stage(m, p, stage) + " computes in " + ms(s.compute_s);
    double f = slowdown[p.stages[worst].node];
    if (std::fabs(f - 1) > 0.005) out += number(", %.2gx its profile", f);
    return out;
  }
  pair_rate r = m.rate(p.stages[worst].node, p.stages[worst + 1].node);
  const char* how = r.source == rate_source::measured   ? "measured"
                    : r.source == rate_source::at_least ? "measured at least"
                                                        : "assumed";
  std::string rate = std::isinf(r.mbps) ? "unlimited" : number("%.3g Mbit/s", r.mbps);
  return describe_link(m, p, stage) + " " + how + " " + rate + ", " + bits_text(p.bits[worst]) +
         " " + ms(s.send_s);
}

// "moving layers 13..24 to node a, layers 25..28 to node c"
std::string moves(const replan_model& m, const plan& from, const plan& to) {
  std::vector<int> old_node(m.layers() + 1, -1), new_node(m.layers() + 1, -1);
  for (const stage_assignment& s : from.stages)
    for (int l = s.first; l <= s.last; ++l) old_node[l] = s.node;
  for (const stage_assignment& s : to.stages)
    for (int l = s.first; l <= s.last; ++l) new_node[l] = s.node;
  std::string out;
  for (int l = 1; l <= m.layers();) {
    if (new_node[l] == old_node[l]) {
      ++l;
      continue;
    }
    int first = l;
    while (l + 1 <= m.layers() && new_node[l + 1] == new_node[first] &&
           new_node[l + 1] != old_node[l + 1])
      ++l;
    std::string range = first == l ? "layer " + std::to_string(l)
                                   : "layers " + std::to_string(first) + ".." + std::to_string(l);
    out +=
        std::string(out.empty() ? "moving " : ", ") + range + " to node " + m.name(new_node[first]);
    ++l;
  }
  return out;
}

// "bits 8 -> 4 on link 1 (node b -> node c)"
std::string bit_changes(const replan_model& m, const plan& from, const plan& to) {
  std::string out;
  for (size_t i = 0; i + 1 < from.stages.size(); ++i)
    if (from.bits[i] != to.bits[i])
      out += std::string(out.empty() ? "" : ", ") + "bits " + std::to_string(from.bits[i]) +
             " -> " + std::to_string(to.bits[i]) + " on " +
             describe_link(m, from, static_cast<int>(i));
  return out;
}

bool same_bits(const plan& a, const plan& b) {
  for (size_t i = 0; i + 1 < a.stages.size(); ++i)
    if (a.bits[i] != b.bits[i]) return false;
  return true;
}

// An alternative to the current plan, with what the comparison uses.
struct candidate {
  replan_action action = replan_action::keep;
  plan p;
  double period_s = infinity;
  double amortized_s = infinity;
};

// `p` with each link at the largest bits that fit its period at the lowest
// bits (or `target_s`, if longer); `p.bits.back()` (the sink link) is kept.
expected<candidate> with_fitted_bits(const replan_model& m, plan p, double target_s,
                                     bool check_memory) {
  for (size_t i = 0; i + 1 < p.stages.size(); ++i)
    p.bits[i] = m.min_bits(p.stages[i].node, p.stages[i + 1].node);
  auto at_min_bits = m.evaluate(p, check_memory);
  if (!at_min_bits) return make_error(errc::internal, at_min_bits.error().message);
  int sink_bits = p.bits.back();
  p.bits = m.fit_bits(p.stages, std::max(at_min_bits->period_s, target_s));
  p.bits.back() = sink_bits;
  auto eval = m.evaluate(p, check_memory);
  if (!eval) return make_error(errc::internal, eval.error().message);
  candidate c;
  c.p = std::move(p);
  c.period_s = c.amortized_s = eval->period_s;
  return c;
}

std::string give_up_reason(const replan_model& m, const replan_inputs& in, int roomiest,
                           double shortfall_mb) {
  if (roomiest < 0) return "no plan fits the alive nodes' memory: no node is alive";
  return "no plan fits the alive nodes' memory: the roomiest, " + m.name(roomiest) + " (" +
         number("%.1f MB", in.nodes[roomiest].memory_mb) + "), would need " +
         number("%.1f MB", shortfall_mb) + " more";
}

} // namespace

const char* to_string(replan_action a) {
  switch (a) {
  case replan_action::keep:
    return "keep";
  case replan_action::change_bits:
    return "change_bits";
  case replan_action::repartition:
    return "repartition";
  case replan_action::give_up:
    return "give_up";
  }
  return "?";
}

void replanner::update_slowdown(const replan_inputs& in) {
  for (size_t i = 0; i < in.stage_compute_s.size(); ++i) {
    const stage_assignment& s = in.current.stages[i];
    const node_state& node = in.nodes[s.node];
    double measured = in.stage_compute_s[i];
    if (!(measured > 0) || !node.alive) continue;
    double profiled = 0;
    for (int l = s.first; l <= s.last; ++l) profiled += node.baseline_layer_s[l - 1];
    if (!(profiled > 0)) continue; // nothing to scale
    double a = options_.smoothing;
    slowdown_[s.node] = a * (measured / profiled) + (1 - a) * slowdown_[s.node];
  }
}

expected<replan_decision> replanner::decide(const replan_inputs& in) {
  const replanner_options& o = options_;
  if (!(o.margin >= 0) || !(o.min_interval_s >= 0) || !(o.switch_cost_s >= 0) ||
      !(o.horizon_s > 0) || !(o.target_images_per_s >= 0) || !(o.smoothing > 0) || o.smoothing > 1)
    return make_error(errc::invalid_argument,
                      "re-planner options: expected margin, min_interval_s, switch_cost_s, "
                      "target_images_per_s >= 0, horizon_s > 0 and smoothing in (0, 1]");
  if (slowdown_.size() < in.nodes.size()) slowdown_.resize(in.nodes.size(), 1.0);
  std::vector<double> factors(slowdown_.begin(), slowdown_.begin() + in.nodes.size());
  if (auto checked = replan_model::build(in, factors); !checked) return checked.error();
  update_slowdown(in);
  factors.assign(slowdown_.begin(), slowdown_.begin() + in.nodes.size());
  auto built = replan_model::build(in, factors);
  if (!built) return built.error();
  const replan_model& m = *built;

  replan_decision d;
  d.next = in.current;
  double target_s =
      options_.target_images_per_s > 0 ? in.microbatch / options_.target_images_per_s : 0.0;
  auto current = m.evaluate(in.current, false);
  d.current_period_s = current ? current->period_s : infinity;

  // The plan in force, if it fits, bounds the search (min bits only help).
  auto current_fits = m.evaluate(in.current);
  auto best = m.optimal(current_fits ? current_fits->period_s : infinity);
  if (!best && best.error().code == errc::infeasible && current) {
    // Nothing within the bound (the heuristic beyond 12 nodes may miss the
    // plan in force), or the plan in force runs although the memory model
    // says nothing fits (limits set low on purpose, or a cautious model).
    d.new_period_s = d.amortized_new_period_s = current_fits ? d.current_period_s : infinity;
    d.reason = "keep: " + plan_text(m, in.current) + " runs; " +
               (current_fits ? "no plan found that is faster" : "no plan fits the memory limits");
    return d;
  }
  if (!best) {
    if (best.error().code != errc::infeasible) return best.error();
    int roomiest = -1;
    d.action = replan_action::give_up;
    d.new_period_s = d.amortized_new_period_s = infinity;
    d.shortfall_mb = m.shortfall_mb(&roomiest);
    d.reason = give_up_reason(m, in, roomiest, d.shortfall_mb);
    if (!current) d.reason = current.error().message + "; " + d.reason;
    return d;
  }

  // The best partition, its links at the largest bits that fit its period.
  best->epoch = in.current.epoch + 1;
  best->bits.back() = 0;
  auto fitted = with_fitted_bits(m, *best, target_s, true);
  if (!fitted) return fitted.error();
  candidate moved = *fitted;
  moved.action = replan_action::repartition;
  double cost = options_.switch_cost_s, horizon = options_.horizon_s;
  moved.amortized_s = horizon > cost ? moved.period_s * horizon / (horizon - cost) : infinity;

  if (!current) { // the plan cannot run: replace it now, whatever it costs
    d.action = replan_action::repartition;
    d.next = moved.p;
    d.new_period_s = moved.period_s;
    d.amortized_new_period_s = moved.amortized_s;
    d.reason = current.error().message + "; " + moves(m, in.current, moved.p) + " (" +
               plan_text(m, moved.p) + ", period " + ms(moved.period_s) + ")";
    switched_ = true;
    last_switch_ns_ = in.now_ns;
    return d;
  }

  // The current partition with its bits re-chosen: no layer moves, no pause.
  auto rebits = with_fitted_bits(m, in.current, target_s, false);
  if (!rebits) return rebits.error();
  candidate rebit = *rebits;
  rebit.action = replan_action::change_bits;

  // The better alternative; a bits-only change wins ties (it is cheaper).
  candidate alt;
  if (!same_bits(rebit.p, in.current)) alt = rebit;
  // With a target rate, a period shorter than the target's brings nothing.
  auto judged = [&](double period) { return std::max(period, target_s); };
  if (!same_partition(moved.p, in.current) && judged(moved.amortized_s) < judged(alt.amortized_s))
    alt = moved;
  d.new_period_s = alt.action == replan_action::keep ? d.current_period_s : alt.period_s;
  d.amortized_new_period_s =
      alt.action == replan_action::keep ? d.current_period_s : alt.amortized_s;
  if (target_s > 0 && d.current_period_s <= target_s) {
    d.reason = "keep: " + plan_text(m, in.current) + " meets the target, period " +
               ms(d.current_period_s) + " <= " + ms(target_s);
    return d;
  }
  if (judged(d.new_period_s) >= judged(d.current_period_s)) { // others at best tie
    d.reason =
        "keep: " + plan_text(m, in.current) + " is a best plan, period " + ms(d.current_period_s);
    return d;
  }
  std::string change = alt.action == replan_action::repartition
                           ? moves(m, in.current, alt.p) + " (" + plan_text(m, alt.p) + ")"
                           : bit_changes(m, in.current, alt.p);
  std::string costed = alt.action == replan_action::repartition
                           ? ", " + ms(alt.amortized_s) + " with the switch's cost"
                           : "";
  if (judged(alt.amortized_s) * (1 + options_.margin) >= judged(d.current_period_s)) {
    d.reason = std::string("keep: ") + to_string(alt.action) + " (" + change + ") would give " +
               ms(alt.period_s) + costed + " against " + ms(d.current_period_s) +
               ", not better by the margin " + number("%g%%", options_.margin * 100);
    return d;
  }
  double since_s = (in.now_ns - last_switch_ns_) * 1e-9;
  if (switched_ && since_s < options_.min_interval_s) {
    d.reason = "keep for now: " + std::string(to_string(alt.action)) + " (" + change + ") to " +
               ms(alt.period_s) + " from " + ms(d.current_period_s) + ", but the last switch was " +
               number("%.3g s", since_s) + " ago (min interval " +
               number("%g s", options_.min_interval_s) + ")";
    return d;
  }
  d.action = alt.action;
  d.next = alt.p;
  d.reason = bottleneck(m, in.current, *current, factors) + " > period " + ms(alt.period_s) + "; " +
             change;
  switched_ = true;
  last_switch_ns_ = in.now_ns;
  return d;
}

} // namespace edgepipe::runtime
