#include "actors/encoder_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/errors.hpp"
#include "actors/link_shaper.hpp"
#include "actors/messages.hpp"
#include "codecs/codec.hpp"

namespace edgepipe::actors {

namespace {

using clock_type = std::chrono::steady_clock;

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
  clock_type::time_point release; // when the shaper lets it onto the socket
  clock_type::time_point ready;   // when the link could first carry it
};

struct sent_record {
  uint64_t bytes = 0;
  clock_type::time_point ready;
};

struct encoder_state {
  link_spec spec;
  caf::actor next;
  caf::actor monitor;
  codecs::quant_params params;
  std::unique_ptr<link_shaper> shaper;
  clock_type::time_point start = clock_type::now(); // time 0 of the shaper's trace

  std::deque<std::pair<activation_msg, caf::strong_actor_ptr>> backlog; // waiting for a credit
  std::deque<held_frame> held;                       // encoded, held by the shaper
  std::unordered_map<uint64_t, sent_record> unacked; // sent, waiting for the ack
  int in_flight = 0;                                 // taken frames without a credit back
  clock_type::time_point last_ack{};
  bool timer_pending = false;

  uint64_t frames = 0, bytes = 0;
  static inline const char* name = "edgepipe.encoder";
};

using encoder_actor_t = caf::stateful_actor<encoder_state>;

double seconds_since(clock_type::time_point t0, clock_type::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

void transmit(encoder_actor_t* self, held_frame&& h) {
  auto& st = self->state;
  st.unacked[h.frame.seq] = sent_record{h.frame.main.size() + h.frame.skip.size(), h.ready};
  st.bytes += h.frame.main.size() + h.frame.skip.size();
  ++st.frames;
  self->send(st.next, std::move(h.frame));
}

// Sends every held frame whose time has come; arms one timer for the next.
void release_due(encoder_actor_t* self) {
  auto& st = self->state;
  auto now = clock_type::now();
  while (!st.held.empty() && st.held.front().release <= now) {
    transmit(self, std::move(st.held.front()));
    st.held.pop_front();
  }
  if (!st.held.empty() && !st.timer_pending) {
    st.timer_pending = true;
    self->delayed_send(self, st.held.front().release - now, release_atom::value);
  }
}

expected<frame_msg> encode(encoder_state& st, activation_msg& in) {
  frame_msg out;
  out.link = st.spec.link;
  out.seq = in.seq;
  out.origin_ns = in.origin_ns;
  auto main = codecs::encode(in.value.main.data.data(), in.value.main.shape, st.params);
  if (!main) return main.error();
  out.main = std::move(*main);
  if (in.value.has_skip()) {
    // The residual stream is quantized like the main tensor: both cross the same link.
    auto skip = codecs::encode(in.value.skip.data.data(), in.value.skip.shape, st.params);
    if (!skip) return skip.error();
    out.skip = std::move(*skip);
  }
  return out;
}

void pump(encoder_actor_t* self) {
  auto& st = self->state;
  while (st.in_flight < st.spec.window && !st.backlog.empty()) {
    auto [in, producer] = std::move(st.backlog.front());
    st.backlog.pop_front();
    if (producer) self->send(caf::actor_cast<caf::actor>(producer), taken_atom::value);
    auto frame = encode(st, in);
    if (!frame) {
      // The microbatch is lost (the sink reports it); the link goes on.
      fprintf(stderr, "edgepipe encoder (link %u): microbatch %llu not sent: %s\n", st.spec.link,
              static_cast<unsigned long long>(in.seq), frame.error().message.c_str());
      continue;
    }
    ++st.in_flight;
    auto now = clock_type::now();
    // Ready now; the shaper decides when it may go (after the frames before it).
    held_frame h{std::move(*frame), now, now};
    // Asked even on an unlimited link: its configured latency still applies.
    double hold =
        st.shaper->hold_s(h.frame.main.size() + h.frame.skip.size(), seconds_since(st.start, now));
    if (hold > 0)
      h.release = now + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(hold));
    st.held.push_back(std::move(h));
  }
  release_due(self);
}

caf::behavior encoder_actor(encoder_actor_t* self, link_spec spec, caf::actor next,
                            caf::actor monitor) {
  auto& st = self->state;
  st.spec = spec;
  if (st.spec.window < 1) st.spec.window = 1;
  st.next = next;
  st.monitor = monitor;
  st.params.bits = spec.bits;
  st.params.clip = static_cast<codecs::clip_method>(spec.clip);
  st.params.gran = static_cast<codecs::granularity>(spec.gran);
  st.shaper = std::make_unique<link_shaper>(to_bandwidth_spec(spec.shaper));
  return {
      [=](activation_msg& in) {
        self->state.backlog.emplace_back(std::move(in), self->current_sender());
        pump(self);
      },
      [=](release_atom) {
        self->state.timer_pending = false;
        release_due(self);
      },
      [=](ack_atom, uint32_t, uint64_t seq) {
        auto& s = self->state;
        auto it = s.unacked.find(seq);
        if (it == s.unacked.end()) return;
        auto now = clock_type::now();
        // The link was busy with earlier frames until their ack: count this
        // frame's time from then, so back-to-back frames measure the rate.
        auto begin = std::max(it->second.ready, s.last_ack);
        s.last_ack = now;
        if (s.monitor)
          self->send(
              s.monitor,
              link_sample{
                  s.spec.link, it->second.bytes,
                  std::chrono::duration_cast<std::chrono::nanoseconds>(now - begin).count()});
        s.unacked.erase(it);
      },
      [=](credit_atom, uint32_t, uint64_t) {
        auto& s = self->state;
        if (s.in_flight > 0) --s.in_flight;
        pump(self);
      },
      [=](quant_atom, int32_t bits, uint8_t clip) {
        self->state.params.bits = bits;
        self->state.params.clip = static_cast<codecs::clip_method>(clip);
      },
      [=](stats_atom) {
        return caf::make_message(self->state.frames, self->state.bytes,
                                 static_cast<int32_t>(self->state.params.bits));
      },
  };
}

} // namespace

caf::actor spawn_encoder(caf::actor_system& sys, const link_spec& spec, const caf::actor& next,
                         const caf::actor& monitor) {
  return sys.spawn(encoder_actor, spec, next, monitor);
}

} // namespace edgepipe::actors
