#include "actors/encoder_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/link_shaper.hpp"
#include "actors/test_frame_faults.hpp"
#include "runtime/activation_frames.hpp"
#include "runtime/link_estimator.hpp"

namespace edgepipe::actors {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto report_interval = std::chrono::milliseconds(200);

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

config::bandwidth_spec to_bandwidth_spec(const shaper_spec& s) {
  config::bandwidth_spec b;
  b.kind = s.mode == shaper_spec::fixed   ? config::bandwidth_kind::fixed
           : s.mode == shaper_spec::trace ? config::bandwidth_kind::trace
                                          : config::bandwidth_kind::unlimited;
  b.mbps = s.mbps;
  for (size_t i = 0; i < s.trace_s.size() && i < s.trace_mbps.size(); ++i)
    b.trace.push_back(config::rate_point{s.trace_s[i], s.trace_mbps[i]});
  b.repeat = s.repeat;
  b.repeat_period_s = s.repeat_period_s;
  b.burst_kb = s.burst_kb;
  b.latency_ms = s.latency_ms;
  return b;
}

struct held_frame {
  frame_msg frame;
  int64_t release_ns = 0; // when the shaper lets it onto the socket
  int64_t offered_ns = 0; // when it entered the link (encoded, credit in hand)
  bool busy = false;      // an earlier frame was unacknowledged when it entered
};

struct sent_frame {
  uint64_t bytes = 0;
  int64_t offered_ns = 0;
  bool busy = false;
};

struct encoder_state {
  encoder_wiring w;
  codecs::quant_params params;
  std::unique_ptr<link_shaper> shaper;
  int64_t start_ns = now_ns(); // time 0 of the shaper's trace
  runtime::link_estimator estimator;

  std::deque<std::pair<result_msg, result_producer>> backlog; // waiting for a credit
  std::deque<held_frame> held;                                // encoded, held by the shaper
  std::unordered_map<uint64_t, sent_frame> unacked;           // sent, waiting for the ack
  int in_flight = 0;                                          // frames without a credit back
  bool release_armed = false;

  uint64_t frames = 0, bytes = 0, last_frame_bytes = 0;
  std::vector<int64_t> shapes[3]; // main, skip, mask of the last frame
  static inline const char* name = "edgepipe.encoder";
};

using encoder_ptr = encoder_actor::stateful_pointer<encoder_state>;

void transmit(encoder_ptr self, held_frame&& h) {
  auto& st = self->state;
  uint64_t size = h.frame.main.size() + h.frame.skip.size() + h.frame.mask.size();
  st.unacked[h.frame.seq] = sent_frame{size, h.offered_ns, h.busy};
  st.bytes += size;
  st.last_frame_bytes = size;
  ++st.frames;
  apply_test_frame_faults(h.frame); // armed only by an environment variable (tests)
  self->send(st.w.next, std::move(h.frame));
}

// Sends every held frame whose time has come; arms one timer for the next.
void release_due(encoder_ptr self) {
  auto& st = self->state;
  int64_t now = now_ns();
  while (!st.held.empty() && st.held.front().release_ns <= now) {
    transmit(self, std::move(st.held.front()));
    st.held.pop_front();
  }
  if (!st.held.empty() && !st.release_armed) {
    st.release_armed = true;
    self->delayed_send(self, std::chrono::nanoseconds(st.held.front().release_ns - now),
                       encoder_tick{});
  }
}

void pump(encoder_ptr self) {
  auto& st = self->state;
  while (st.in_flight < st.w.spec.window && !st.backlog.empty()) {
    auto [in, producer] = std::move(st.backlog.front());
    st.backlog.pop_front();
    if (producer) self->send(producer, result_taken{in.seq});
    auto frames = runtime::encode_activation(in.value, st.params);
    if (!frames) {
      // The microbatch is not lost: the planner has the source replay it.
      if (st.w.planner)
        self->send(st.w.planner, stage_failure{st.w.epoch, st.w.stage, in.seq,
                                               "link " + std::to_string(st.w.spec.link) +
                                                   " cannot encode: " + frames.error().message});
      continue;
    }
    st.shapes[0] = in.value.main_shape();
    st.shapes[1] = in.value.skip.empty() ? std::vector<int64_t>{} : in.value.skip.shape;
    st.shapes[2] = in.value.mask.empty() ? std::vector<int64_t>{} : in.value.mask.shape;
    ++st.in_flight;
    held_frame h;
    h.frame = frame_msg{st.w.epoch,
                        st.w.spec.link,
                        in.seq,
                        in.origin_ns,
                        std::move(frames->main),
                        std::move(frames->skip),
                        std::move(frames->mask)};
    h.offered_ns = now_ns();
    h.busy = !st.unacked.empty() || !st.held.empty();
    size_t size = h.frame.main.size() + h.frame.skip.size() + h.frame.mask.size();
    // Asked even on an unlimited link: its configured latency still applies.
    // Saturated: an outage without end or an absurdly slow rate holds the
    // frame for at most a day, within int64 nanoseconds.
    h.release_ns = h.offered_ns + st.shaper->hold_ns(size, (h.offered_ns - st.start_ns) / 1e9);
    st.held.push_back(std::move(h));
  }
  release_due(self);
}

void report(encoder_ptr self) {
  auto& st = self->state;
  auto e = st.estimator.current(now_ns());
  link_report r;
  r.epoch = st.w.epoch;
  r.link = st.w.spec.link;
  r.mbps = e.mbps;
  r.confidence = e.confidence;
  r.lower_bound = e.lower_bound;
  r.latency_ms = e.latency_ms;
  r.bits = st.params.bits;
  r.frame_bytes = st.last_frame_bytes;
  r.frames = st.frames;
  r.main_shape = st.shapes[0];
  r.skip_shape = st.shapes[1];
  r.mask_shape = st.shapes[2];
  r.main_s8 = st.w.main_s8;
  r.backlog = static_cast<uint32_t>(st.backlog.size());
  int64_t now = now_ns(), oldest = now;
  for (const auto& h : st.held) {
    oldest = std::min(oldest, h.offered_ns);
    r.unacked_bytes += h.frame.main.size() + h.frame.skip.size() + h.frame.mask.size();
  }
  for (const auto& [seq, f] : st.unacked) {
    oldest = std::min(oldest, f.offered_ns);
    r.unacked_bytes += f.bytes;
  }
  r.stalled_ms = (now - oldest) / 1e6;
  self->send(st.w.monitor, r);
}

encoder_actor::behavior_type encoder_impl(encoder_ptr self, encoder_wiring w) {
  auto& st = self->state;
  st.w = std::move(w);
  if (st.w.spec.window < 1) st.w.spec.window = 1;
  st.params.bits = st.w.spec.bits;
  st.params.clip = static_cast<codecs::clip_method>(st.w.spec.clip);
  st.params.gran = static_cast<codecs::granularity>(st.w.spec.gran);
  st.shaper = std::make_unique<link_shaper>(to_bandwidth_spec(st.w.spec.shaper));
  st.start_ns -= static_cast<int64_t>(st.w.spec.shaper.start_offset_s * 1e9);
  if (st.w.monitor) self->delayed_send(self, report_interval, encoder_tick{true});
  return {
      [=](result_msg& in) {
        auto producer = caf::actor_cast<result_producer>(self->current_sender());
        self->state.backlog.emplace_back(std::move(in), producer);
        pump(self);
      },
      [=](encoder_tick tick) {
        if (tick.report) {
          report(self);
          // Only the encoder's own timer re-arms itself: a report asked for
          // by someone else must not start a second timer.
          if (self->current_sender() == self->ctrl())
            self->delayed_send(self, report_interval, encoder_tick{true});
          return;
        }
        self->state.release_armed = false;
        release_due(self);
      },
      [=](frame_ack& ack) {
        auto& s = self->state;
        auto it = s.unacked.find(ack.seq);
        if (it == s.unacked.end()) return;
        runtime::transfer_sample sample;
        sample.bytes = it->second.bytes;
        sample.offered_ns = it->second.offered_ns;
        sample.ack_ns = now_ns();
        s.estimator.add(sample);
        s.unacked.erase(it);
      },
      [=](frame_credit&) {
        auto& s = self->state;
        if (s.in_flight > 0) --s.in_flight;
        pump(self);
      },
      [=](set_bits& b) {
        self->state.params.bits = b.bits;
        self->state.params.clip = static_cast<codecs::clip_method>(b.clip);
      },
  };
}

} // namespace

encoder_actor spawn_encoder(caf::actor_system& sys, encoder_wiring wiring) {
  return sys.spawn(encoder_impl, std::move(wiring));
}

} // namespace edgepipe::actors
