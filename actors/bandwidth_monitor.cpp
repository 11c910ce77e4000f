#include "actors/bandwidth_monitor.hpp"

#include <chrono>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"

namespace edgepipe::actors {

namespace {

constexpr auto publish_interval = std::chrono::milliseconds(250);

struct monitor_state {
  planner_actor planner;
  std::map<uint32_t, link_report> latest; // by link
  bool changed = false;
  static inline const char* name = "edgepipe.bandwidth_monitor";
};

using monitor_ptr = monitor_actor::stateful_pointer<monitor_state>;

link_reports snapshot(monitor_ptr self) {
  link_reports out;
  for (auto& [link, r] : self->state.latest) out.links.push_back(r);
  return out;
}

monitor_actor::behavior_type monitor_impl(monitor_ptr self, planner_actor planner) {
  self->state.planner = planner;
  if (planner) self->delayed_send(self, publish_interval, monitor_tick{});
  return {
      [=](link_report& r) {
        auto& st = self->state;
        auto it = st.latest.find(r.link);
        if (it != st.latest.end() && it->second.epoch > r.epoch) return;
        st.latest[r.link] = r;
        st.changed = true;
      },
      [=](monitor_tick) {
        auto& st = self->state;
        if (st.changed) self->send(st.planner, snapshot(self));
        st.changed = false;
        self->delayed_send(self, publish_interval, monitor_tick{});
      },
      [=](get_link_reports) { return snapshot(self); },
  };
}

} // namespace

monitor_actor spawn_bandwidth_monitor(caf::actor_system& sys, planner_actor planner) {
  return sys.spawn(monitor_impl, planner);
}

} // namespace edgepipe::actors
