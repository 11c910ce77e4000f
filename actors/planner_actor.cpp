// The planner actor: the run process's coordinator. It deploys the first
// plan (plan_switch.cpp), then lives on measurements: the monitor's link
// reports drive the bit controller (bits per link, set by message to the
// sending stage), the stages' reports and the link reports drive the
// re-planner (a new epoch, deployed while the old one computes), stage
// failures make the source replay, and the sink's word ends the run.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/bandwidth_monitor.hpp"
#include "actors/errors.hpp"
#include "actors/planner_state.hpp"
#include "actors/sink_actor.hpp"

namespace edgepipe::actors {

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(250);

// The run process's own actors: source, its encoder, sink, monitor.
void stop_local_actors(planner_ptr self) {
  auto& st = self->state;
  for (auto a :
       {caf::actor_cast<caf::actor>(st.source), caf::actor_cast<caf::actor>(st.sink),
        caf::actor_cast<caf::actor>(st.monitor), caf::actor_cast<caf::actor>(st.source_encoder)})
    if (a) self->send_exit(a, caf::exit_reason::user_shutdown);
}

void deliver_outcome(planner_ptr self, source_stats ss);

void send_progress(planner_ptr self) {
  auto& st = self->state;
  if (!st.progress) return;
  run_progress p;
  p.summary = st.last_summary;
  p.epoch = st.current ? st.current->plan.epoch : 0;
  if (st.current)
    for (int b : st.current->plan.bits) p.bits.push_back(b);
  p.notes = std::move(st.notes);
  st.notes.clear();
  caf::anon_send(st.progress, p);
}

void finish(planner_ptr self) {
  auto& st = self->state;
  if (st.finishing) return;
  st.finishing = true;
  auto nothing_sent = [=] {
    source_stats ss; // the source never started: nothing was answered
    for (uint64_t i = 0; i < self->state.cfg.work.batches.size(); ++i) ss.unanswered.push_back(i);
    return ss;
  };
  if (!st.source) {
    deliver_outcome(self, nothing_sent());
    return;
  }
  self->request(st.source, st.cfg.request_timeout, get_source_stats{})
      .then([=](source_stats& ss) { deliver_outcome(self, std::move(ss)); },
            [=](caf::error&) { deliver_outcome(self, nothing_sent()); });
}

// Every stage of both deployments retired, each node's answer awaited (a
// node that does not answer within the timeout is not waited for: it is
// lost, or it retires orphaned stages itself once this process is gone).
void retire_all_then(planner_ptr self, std::function<void()> then) {
  auto& st = self->state;
  auto pending = std::make_shared<size_t>(1); // held until every request is out
  auto one_done = [pending, then] {
    if (--*pending == 0) then();
  };
  for (auto* d : {st.current ? &*st.current : nullptr, st.next ? &*st.next : nullptr})
    if (d) *pending += retire_deployment(self, *d, one_done);
  one_done();
}

void deliver_outcome(planner_ptr self, source_stats ss) {
  auto& st = self->state;
  self->request(st.sink, st.cfg.request_timeout, get_run_output{})
      .then(
          [=](run_output& out) mutable {
            auto& s = self->state;
            auto o = std::make_shared<run_outcome>();
            o->failure = s.failure;
            o->summary = out.summary;
            o->summary.replayed = ss.replayed;
            o->given_up = std::move(ss.given_up);
            o->unanswered = std::move(ss.unanswered);
            o->faults = s.faults;
            o->predictions = std::move(out.predictions);
            o->outputs = std::move(out.outputs);
            if (!s.plan_recorded_last && !s.plans.empty()) record_plan(self, s.plans.back());
            o->plans = s.plans;
            if (s.current) {
              for (int b : s.current->plan.bits) o->bits_out.push_back(b);
              for (size_t k = 0; k < s.current->plan.stages.size(); ++k) {
                o->link_mbps.push_back(k < s.link_latest.size() ? s.link_latest[k].mbps : 0);
                o->stage_compute_ms.push_back(
                    k < s.stage_latest.size() ? s.stage_latest[k].ms_per_microbatch : 0);
              }
            }
            retire_all_then(self, [=] {
              stop_local_actors(self);
              self->state.promise.deliver(std::move(*o));
              self->quit();
            });
          },
          [=](caf::error& err) {
            auto& s = self->state;
            std::string why = (s.failure.empty() ? "" : s.failure + "; ") +
                              "the sink did not report: " + describe(err);
            retire_all_then(self, [=] {
              stop_local_actors(self);
              if (self->state.promise.pending())
                self->state.promise.deliver(make_caf_error(errc::io_error, why));
              self->quit();
            });
          });
}

void on_tick(planner_ptr self) {
  auto& st = self->state;
  self->request(st.sink, st.cfg.request_timeout, get_summary{})
      .then(
          [=](runtime::run_summary& s) {
            auto& ps = self->state;
            int64_t now = planner_now_ns();
            if (s.answered != ps.last_summary.answered) ps.last_progress_ns = now;
            ps.last_summary = s;
            record_throughput(self, s);
            send_progress(self);
            if (ps.cfg.stall_timeout.count() > 0 &&
                now - ps.last_progress_ns > ps.cfg.stall_timeout.count() * 1'000'000)
              fail_run(self, "no result for " +
                                 std::to_string(ps.cfg.stall_timeout.count() / 1000) + " s");
            else if (ps.cfg.run_timeout.count() > 0 &&
                     now - ps.start_ns > ps.cfg.run_timeout.count() * 1'000'000)
              finish(self); // the run's time is up: report what was answered
          },
          [](caf::error&) {});
  self->delayed_send(self, tick_interval, planner_tick{});
}

planner_actor::behavior_type planner_impl(planner_ptr self, pipeline_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (st.cfg.max_outstanding <= 0) {
    size_t stages = st.cfg.plan.stages.size();
    st.cfg.max_outstanding = static_cast<int>((stages + 1) * st.cfg.window + 2 * stages);
  }
  // A bug must not leave the caller waiting for ever: the run_request gets
  // the exception as its error (the nodes retire the orphaned stages).
  self->set_exception_handler([=](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    auto err = make_caf_error(errc::internal, "the planner failed: " + what);
    if (self->state.promise.pending()) self->state.promise.deliver(err);
    return err;
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    for (size_t i = 0; i < s.cfg.nodes.size(); ++i)
      if (dm.source == s.cfg.nodes[i].actor.address())
        return on_node_lost(self, i, loss_cause(self, i));
    on_stage_down(self, dm.source, dm.reason);
  });
  return {
      [=](run_request& req) -> caf::result<run_outcome> {
        auto& s = self->state;
        if (s.promise.pending())
          return make_caf_error(errc::invalid_argument, "this planner is already running");
        s.promise = self->make_response_promise<run_outcome>();
        s.progress = req.progress;
        s.start_ns = s.last_progress_ns = planner_now_ns();
        for (const auto& n : s.cfg.nodes) self->monitor(n.actor);
        s.health.assign(s.cfg.nodes.size(), node_health{});
        s.last_heard_ns.assign(s.cfg.nodes.size(), 0);
        sink_config sc;
        sc.requests = s.cfg.work.batches.size();
        sc.microbatch = s.cfg.work.microbatch;
        sc.labels = s.cfg.work.labels;
        for (const auto& b : s.cfg.work.batches)
          sc.rows.push_back(b.shape.empty() ? 0 : b.shape[0]);
        sc.keep_outputs = s.cfg.keep_outputs;
        s.sink = spawn_sink(self->system(), sc, self);
        s.monitor = spawn_bandwidth_monitor(self->system(), self);
        deploy_plan(self, s.cfg.plan, "initial plan");
        self->delayed_send(self, tick_interval, planner_tick{});
        return s.promise;
      },
      [=](link_reports& r) { on_link_reports(self, r); },
      [=](stage_report& r) { on_stage_report(self, r); },
      [=](stage_failure& f) {
        auto& s = self->state;
        s.failures.push_back(f.what);
        record_note(self, "microbatch " + std::to_string(f.seq) + ": " + f.what, true);
        // An old plan's failures are replayed with the rest of its work.
        if (s.current && f.epoch == s.current->plan.epoch && s.source)
          self->send(s.source, retry_seq{f.seq, f.what});
      },
      [=](sink_progress& p) {
        self->state.last_summary = p.summary;
        if (p.finished) finish(self);
      },
      [=](switch_pause& p) {
        auto& s = self->state;
        for (auto& c : s.plans)
          if (c.plan.epoch == p.epoch && c.pause_ms < 0) {
            c.pause_ms = p.pause_ms;
            if (!s.plan_recorded_last && &c == &s.plans.back()) {
              record_plan(self, c);
              s.plan_recorded_last = true;
            }
          }
      },
      [=](planner_tick) {
        if (self->state.finishing) return;
        on_tick(self);
        try_rejoins(self);
        if (!self->state.finishing) consider_replan(self);
      },
      [=](stop_run& r) { fail_run(self, r.why); },
  };
}

} // namespace

int64_t planner_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double seconds_since_start(planner_ptr self) {
  return (planner_now_ns() - self->state.start_ns) / 1e9;
}

void on_plan_committed(planner_ptr self) {
  auto& st = self->state;
  st.link_latest.clear();
  st.stage_latest.clear();
  st.bits.reset(); // new links: a new controller once they have sent
  // The first plan goes on the timeline at once; a later one once the sink
  // has measured the pause it caused (or at the end).
  if (st.plans.size() == 1) {
    record_plan(self, st.plans.back());
  } else {
    st.plan_recorded_last = false;
  }
}

void fail_run(planner_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.finishing) return;
  st.failure = why;
  record_note(self, why, true);
  // Report what was answered (and what was not): the same path as a run
  // that ends well, with the reason attached.
  finish(self);
}

planner_actor spawn_planner(caf::actor_system& sys, pipeline_config cfg) {
  return sys.spawn(planner_impl, std::move(cfg));
}

} // namespace edgepipe::actors
