// The planner's adaptation: link reports -> bit controller -> set_bits to the
// sending stages; stage reports -> the target period and the re-planner;
// and everything it sees, onto the run's timeline.
#include <algorithm>
#include <cmath>

#include <caf/typed_event_based_actor.hpp>

#include "actors/link_shaper.hpp"
#include "actors/planner_state.hpp"
#include "runtime/activation_frames.hpp"
#include "runtime/timeline.hpp"

namespace edgepipe::actors {

namespace {

std::vector<std::string> node_names(planner_ptr self) {
  std::vector<std::string> out;
  for (const auto& n : self->state.cfg.nodes) out.push_back(n.address.name);
  return out;
}

void add_record(planner_ptr self, runtime::record r) {
  if (auto& tl = self->state.cfg.timeline) tl->add(std::move(r));
}

// The rate an emulated link is configured to at time t (none when unlimited).
std::optional<double> configured_mbps(const link_choice& c, double t_s) {
  const auto& s = c.out.shaper;
  if (s.mode == shaper_spec::unlimited) return std::nullopt;
  config::bandwidth_spec b;
  b.kind =
      s.mode == shaper_spec::fixed ? config::bandwidth_kind::fixed : config::bandwidth_kind::trace;
  b.mbps = s.mbps;
  for (size_t i = 0; i < s.trace_s.size() && i < s.trace_mbps.size(); ++i)
    b.trace.push_back(config::rate_point{s.trace_s[i], s.trace_mbps[i]});
  b.repeat = s.repeat;
  b.repeat_period_s = s.repeat_period_s;
  return link_shaper(b).rate_mbps_at(t_s);
}

// The bit controller of the current plan, once every adaptive link has sent
// a frame (its tensors' shapes give the frame size at every bitwidth).
bool ensure_controller(planner_ptr self) {
  auto& st = self->state;
  if (st.bits) return true;
  auto& d = *st.current;
  size_t links = d.stages.size() - 1; // the last link carries logits raw
  std::vector<runtime::link_bits_config> cfgs;
  for (size_t k = 0; k < links; ++k) {
    const auto& c = d.links[k];
    runtime::link_bits_config lc;
    lc.adaptive = c.adaptive;
    lc.bits = d.plan.bits[k];
    lc.min_bits = c.min_bits;
    lc.max_bits = c.max_bits;
    lc.clip = static_cast<codecs::clip_method>(c.out.clip);
    if (c.adaptive) {
      if (k >= st.link_latest.size() || st.link_latest[k].main_shape.empty()) return false;
      const auto& r = st.link_latest[k];
      codecs::quant_params q{0, lc.clip, static_cast<codecs::granularity>(c.out.gran)};
      for (int b = 0; b <= runtime::max_frame_bits; ++b) {
        q.bits = b;
        lc.frame_bytes.push_back(
            runtime::encoded_bytes(r.main_shape, r.skip_shape, r.mask_shape, q, r.main_s8));
      }
    }
    cfgs.push_back(std::move(lc));
  }
  runtime::controller_options opts;
  opts.headroom = st.cfg.planner.hysteresis;
  auto ctl = runtime::bit_controller::create(std::move(cfgs), opts);
  if (!ctl) {
    st.failures.push_back("bit controller: " + ctl.error().message);
    return false;
  }
  st.bits = std::make_unique<runtime::bit_controller>(std::move(*ctl));
  return true;
}

} // namespace

double target_period_s(planner_ptr self) {
  auto& st = self->state;
  if (st.cfg.planner.target_images_per_s > 0)
    return st.cfg.work.microbatch / st.cfg.planner.target_images_per_s;
  double slowest = 0;
  for (const auto& r : st.stage_latest) slowest = std::max(slowest, r.ms_per_microbatch / 1e3);
  return slowest;
}

runtime::link_estimate effective_estimate(planner_ptr self, size_t k) {
  auto& st = self->state;
  if (k >= st.link_latest.size()) return {};
  const auto& r = st.link_latest[k];
  runtime::link_estimate e{r.mbps, r.confidence, r.lower_bound, r.latency_ms, r.frames};
  // A stall counts only when it is long against the period (and against a
  // loaded machine's scheduling noise).
  double threshold_ms = std::max(250.0, 4e3 * target_period_s(self));
  if (r.stalled_ms > threshold_ms && r.unacked_bytes > 0) {
    double at_most = r.unacked_bytes * 8.0 / (r.stalled_ms / 1e3) / 1e6;
    if (e.mbps <= 0 || at_most < e.mbps) {
      e.mbps = at_most;
      e.confidence = 1;
      e.lower_bound = false;
    }
  }
  return e;
}

void on_link_reports(planner_ptr self, const link_reports& reports) {
  auto& st = self->state;
  // Finishing, the stages are being retired (their handles are gone).
  if (!st.current || st.finishing || st.current->stages.empty()) return;
  auto& d = *st.current;
  double t = seconds_since_start(self);
  for (const auto& l : reports.links) {
    if (l.epoch != d.plan.epoch || l.link == 0 || l.link > d.stages.size()) continue;
    size_t k = l.link - 1; // link k+1 leaves stage k
    if (k >= st.link_latest.size()) st.link_latest.resize(k + 1);
    st.link_latest[k] = l;
    auto e = effective_estimate(self, k);
    if (e.mbps > 0 && k + 1 < d.stages.size()) { // the last link feeds the sink
      size_t n = st.cfg.nodes.size();
      st.pair_estimates[d.plan.stages[k].node * n + d.plan.stages[k + 1].node] = {e,
                                                                                  planner_now_ns()};
    }
    runtime::link_record rec;
    rec.t = t;
    rec.link = static_cast<int>(k);
    rec.mbps = e.mbps;
    rec.configured_mbps = configured_mbps(d.links[k], t);
    rec.bits = l.bits;
    rec.lower_bound = e.lower_bound;
    rec.epoch = l.epoch;
    add_record(self, rec);
  }
  double period = target_period_s(self);
  if (period <= 0 || !ensure_controller(self)) return;
  std::vector<runtime::link_estimate> estimates(d.stages.size() - 1);
  for (size_t k = 0; k < estimates.size(); ++k) estimates[k] = effective_estimate(self, k);
  for (const auto& c : st.bits->update(planner_now_ns(), period, estimates)) {
    d.plan.bits[static_cast<size_t>(c.link)] = c.new_bits;
    self->send(d.stages[static_cast<size_t>(c.link)],
               set_bits{static_cast<uint32_t>(c.link + 1), c.new_bits, d.links[c.link].out.clip});
  }
}

void on_stage_report(planner_ptr self, const stage_report& r) {
  auto& st = self->state;
  if (!st.current || st.finishing || r.epoch != st.current->plan.epoch) return;
  if (r.stage >= st.current->plan.stages.size()) return; // not a stage of this plan
  size_t node = static_cast<size_t>(st.current->plan.stages[r.stage].node);
  if (node < st.last_heard_ns.size()) st.last_heard_ns[node] = planner_now_ns();
  if (r.stage >= st.stage_latest.size()) st.stage_latest.resize(r.stage + 1);
  st.stage_latest[r.stage] = r;
  runtime::stage_record rec;
  rec.t = seconds_since_start(self);
  rec.stage = static_cast<int>(r.stage);
  rec.node = st.cfg.nodes[st.current->plan.stages[r.stage].node].address.name;
  rec.busy = std::clamp(r.busy, 0.0, 1.0);
  rec.ms_per_microbatch = r.ms_per_microbatch;
  rec.epoch = r.epoch;
  add_record(self, rec);
}

void record_throughput(planner_ptr self, const runtime::run_summary& s) {
  auto& st = self->state;
  int64_t now = planner_now_ns();
  if (now - st.last_throughput_ns < 1'000'000'000) return;
  runtime::throughput_record rec;
  rec.t = seconds_since_start(self);
  rec.images_per_s = s.recent_images_per_s;
  if (s.answered) rec.p50_ms = s.latency_p50_ms;
  rec.answered = static_cast<int64_t>(s.answered);
  st.last_throughput_ns = now;
  add_record(self, rec);
}

void record_plan(planner_ptr self, const plan_change& c) {
  auto rec = runtime::make_plan_record(c.t_s, c.plan, node_names(self), c.reason);
  if (c.pause_ms >= 0) rec.pause_ms = c.pause_ms;
  add_record(self, rec);
}

void record_note(planner_ptr self, const std::string& text, bool fault, const std::string& node) {
  runtime::note_record rec;
  rec.t = seconds_since_start(self);
  rec.fault = fault;
  rec.text = text;
  rec.node = node;
  add_record(self, rec);
}

} // namespace edgepipe::actors
