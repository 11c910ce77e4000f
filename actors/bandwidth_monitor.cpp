#include "actors/bandwidth_monitor.hpp"

#include <chrono>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"

namespace edgepipe::actors {

namespace {

// Weight of a new sample in the running averages.
constexpr double smoothing = 0.25;
constexpr auto publish_interval = std::chrono::milliseconds(200);

struct link_estimate {
  double bytes = 0, seconds = 0; // smoothed
  uint64_t samples = 0;
  std::chrono::steady_clock::time_point last_published{};
  double mbps() const { return seconds > 0 ? bytes * 8 / seconds / 1e6 : 0; }
};

struct monitor_state {
  caf::actor subscriber;
  std::vector<link_estimate> links;
  static inline const char* name = "edgepipe.bandwidth_monitor";
};

caf::behavior monitor_actor(caf::stateful_actor<monitor_state>* self, caf::actor subscriber) {
  self->state.subscriber = subscriber;
  return {
      [=](const link_sample& s) {
        auto& st = self->state;
        if (s.duration_ns <= 0 || s.link > 1024) return;
        if (st.links.size() <= s.link) st.links.resize(s.link + 1);
        auto& e = st.links[s.link];
        double secs = s.duration_ns / 1e9;
        if (e.samples == 0) {
          e.bytes = static_cast<double>(s.bytes);
          e.seconds = secs;
        } else {
          e.bytes += smoothing * (s.bytes - e.bytes);
          e.seconds += smoothing * (secs - e.seconds);
        }
        ++e.samples;
        auto now = std::chrono::steady_clock::now();
        if (st.subscriber && now - e.last_published >= publish_interval) {
          e.last_published = now;
          self->send(st.subscriber, estimate_atom::value, s.link, e.mbps(), e.bytes);
        }
      },
      [=](caf::get_atom) {
        std::vector<double> out;
        for (auto& e : self->state.links) out.push_back(e.mbps());
        return out;
      },
  };
}

} // namespace

caf::actor spawn_bandwidth_monitor(caf::actor_system& sys, const caf::actor& subscriber) {
  return sys.spawn(monitor_actor, subscriber);
}

} // namespace edgepipe::actors
