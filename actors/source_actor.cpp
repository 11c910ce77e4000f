#include "actors/source_actor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "runtime/source_window.hpp"

namespace edgepipe::actors {

namespace {

// Results handed to the encoder and not taken yet: one being encoded, one ready.
constexpr int max_handed = 2;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct source_state {
  source_config cfg;
  runtime::source_window window{0, 1};
  std::vector<int64_t> first_sent_ns; // latency counts from the first hand-off
  encoder_actor encoder;
  sink_actor sink;
  int handed = 0;
  uint64_t sent = 0;
  bool running = false;
  static inline const char* name = "edgepipe.source";
};

using source_ptr = source_actor::stateful_pointer<source_state>;

void feed(source_ptr self) {
  auto& st = self->state;
  while (st.running && st.handed < max_handed) {
    auto seq = st.window.next_to_send();
    if (!seq) return;
    if (st.first_sent_ns[*seq] == 0) st.first_sent_ns[*seq] = now_ns();
    result_msg msg;
    msg.epoch = st.window.epoch();
    msg.seq = *seq;
    msg.origin_ns = st.first_sent_ns[*seq];
    msg.value.main = (*st.cfg.batches)[*seq];
    if (st.cfg.masks && *seq < st.cfg.masks->size()) msg.value.mask = (*st.cfg.masks)[*seq];
    ++st.handed;
    ++st.sent;
    self->send(st.encoder, std::move(msg));
  }
}

source_actor::behavior_type source_impl(source_ptr self, source_config cfg, encoder_actor encoder,
                                        sink_actor sink) {
  auto& st = self->state;
  st.window = runtime::source_window(cfg.batches->size(), cfg.max_outstanding, cfg.epoch);
  st.first_sent_ns.assign(cfg.batches->size(), 0);
  st.cfg = std::move(cfg);
  st.encoder = encoder;
  st.sink = sink;
  return {
      [=](start_run) {
        self->state.running = true;
        feed(self);
      },
      [=](result_taken&) {
        if (self->state.handed > 0) --self->state.handed;
        feed(self);
      },
      [=](answered& a) {
        self->state.window.on_answered(a.seq);
        feed(self);
      },
      [=](switch_epoch& sw) {
        auto& s = self->state;
        // The old encoder's results belong to retired stages; a new encoder
        // starts with nothing handed.
        if (s.encoder) self->send_exit(s.encoder, caf::exit_reason::user_shutdown);
        s.encoder = sw.encoder;
        s.handed = 0;
        s.window.switch_epoch(sw.epoch);
        feed(self);
      },
      [=](get_source_stats) {
        auto& s = self->state;
        return source_stats{s.sent, s.window.replayed(), s.window.given_up(),
                            s.window.unanswered()};
      },
      [=](retry_seq& r) {
        auto& s = self->state;
        if (!s.window.retry(r.seq, s.cfg.max_attempts)) self->send(s.sink, skip_seq{r.seq});
        feed(self);
      },
  };
}

} // namespace

source_actor spawn_source(caf::actor_system& sys, source_config cfg, encoder_actor encoder,
                          sink_actor sink) {
  return sys.spawn(source_impl, std::move(cfg), encoder, sink);
}

} // namespace edgepipe::actors
