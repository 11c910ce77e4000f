#include "actors/sink_actor.hpp"

#include <chrono>
#include <cstdio>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "runtime/activation_frames.hpp"
#include "runtime/sink_reorder.hpp"
#include "runtime/stage_input_check.hpp"

namespace edgepipe::actors {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct sink_state {
  runtime::sink_reorder reorder{0};
  std::unique_ptr<runtime::run_tally> tally;
  source_actor source;
  planner_actor planner;
  int64_t last_delivery_ns = 0;
  uint64_t switch_pending = 0; // epoch whose first delivery ends a pause
  int64_t switch_gap_from_ns = 0;
  bool finish_reported = false;
  std::vector<int64_t> rows; // samples of each microbatch: its answer's rows
  static inline const char* name = "edgepipe.sink";
};

using sink_ptr = sink_actor::stateful_pointer<sink_state>;

runtime::run_summary summarize(sink_ptr self) {
  auto& st = self->state;
  auto s = st.tally->summary(now_ns());
  s.duplicates = st.reorder.duplicates();
  s.stale = st.reorder.stale();
  return s;
}

void deliver_ready(sink_ptr self) {
  auto& st = self->state;
  auto ready = st.reorder.take_ready();
  if (ready.empty()) return;
  int64_t now = now_ns();
  for (auto& r : ready) st.tally->book(r.seq, r.output, r.origin_ns, now);
  if (st.switch_pending && st.planner) {
    self->send(st.planner, switch_pause{st.switch_pending, (now - st.switch_gap_from_ns) / 1e6});
    st.switch_pending = 0;
  }
  st.last_delivery_ns = now;
}

void check_finished(sink_ptr self) {
  auto& st = self->state;
  if (!st.reorder.finished() || st.finish_reported) return;
  st.finish_reported = true;
  if (st.planner) self->send(st.planner, sink_progress{summarize(self), true});
}

sink_actor::behavior_type sink_impl(sink_ptr self, sink_config cfg, planner_actor planner) {
  auto& st = self->state;
  st.reorder = runtime::sink_reorder(cfg.requests, cfg.epoch);
  st.tally = std::make_unique<runtime::run_tally>(cfg.requests, cfg.microbatch,
                                                  std::move(cfg.labels), cfg.keep_outputs);
  st.tally->started(now_ns());
  st.planner = planner;
  st.rows = std::move(cfg.rows);
  return {
      [=](frame_msg& in) {
        auto& s = self->state;
        if (auto from = caf::actor_cast<encoder_actor>(self->current_sender())) {
          self->send(from, frame_ack{in.epoch, in.link, in.seq});
          self->send(from, frame_credit{in.epoch, in.link, in.seq});
        }
        runtime::activation_frames frames{std::move(in.main), std::move(in.skip),
                                          std::move(in.mask)};
        expected<void> ok;
        if (in.seq < s.rows.size()) ok = runtime::check_output_frames(frames, s.rows[in.seq], 0);
        expected<ops::activation> logits =
            ok ? runtime::decode_activation(frames)
               : make_error(ok.error().code,
                            "link " + std::to_string(in.link) + " " + ok.error().message);
        if (!logits) {
          // The source replays it: nothing is lost for a bad last link.
          std::fprintf(stderr, "edgepipe sink: microbatch %llu arrived malformed: %s\n",
                       static_cast<unsigned long long>(in.seq), logits.error().message.c_str());
          if (s.source) self->send(s.source, retry_seq{in.seq, logits.error().message});
          return;
        }
        runtime::sink_result r;
        r.seq = in.seq;
        r.origin_ns = in.origin_ns;
        r.output = std::move(logits->main);
        if (s.reorder.on_arrival(in.epoch, std::move(r)) == runtime::arrival::accepted && s.source)
          self->send(s.source, answered{in.seq});
        deliver_ready(self);
        check_finished(self);
      },
      [=](set_epoch& e) {
        auto& s = self->state;
        s.reorder.set_epoch(e.epoch);
        // The pause runs from the last delivery before the switch to the first after it.
        s.switch_pending = e.epoch;
        s.switch_gap_from_ns = s.last_delivery_ns ? s.last_delivery_ns : now_ns();
      },
      [=](skip_seq& k) {
        self->state.reorder.skip(k.seq);
        deliver_ready(self);
        check_finished(self);
      },
      [=](attach_source& a) { self->state.source = a.source; },
      [=](get_summary) { return summarize(self); },
      [=](get_run_output) {
        auto& s = self->state;
        return run_output{summarize(self), s.tally->predictions(), s.tally->outputs()};
      },
  };
}

} // namespace

sink_actor spawn_sink(caf::actor_system& sys, sink_config cfg, planner_actor planner) {
  return sys.spawn(sink_impl, std::move(cfg), planner);
}

void set_sink_source(const sink_actor& sink, const source_actor& source) {
  caf::anon_send(sink, attach_source{source});
}

} // namespace edgepipe::actors
