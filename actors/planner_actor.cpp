#include "actors/planner_actor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"

namespace edgepipe::actors {

int choose_bits(double elements, double mbps, double budget_s, int min_bits, int max_bits) {
  if (mbps <= 0 || budget_s <= 0) return min_bits;
  for (int b = max_bits; b > min_bits; --b) {
    double seconds = elements * b / (mbps * 1e6);
    if (seconds <= budget_s) return b;
  }
  return min_bits;
}

namespace {

constexpr auto stats_timeout = std::chrono::seconds(5);

struct planner_state {
  std::vector<planned_link> links;
  static inline const char* name = "edgepipe.planner";
};

caf::behavior planner_actor(caf::stateful_actor<planner_state>* self,
                            std::vector<planned_link> links) {
  self->state.links = std::move(links);
  return {
      [=](estimate_atom, uint32_t link, double mbps, double frame_bytes) {
        auto& st = self->state;
        size_t i = 0;
        while (i < st.links.size() && st.links[i].link != link) ++i;
        if (i == st.links.size() || !st.links[i].adaptive || !st.links[i].stage) return;
        // Values per frame, from the frames' measured size at the current bits.
        int cur = st.links[i].bits;
        double elements = frame_bytes * 8.0 / (cur == 0 ? 32 : cur);
        self->request(st.links[i].stage, stats_timeout, stats_atom::value)
            .then(
                [=](uint64_t frames, int64_t compute_ns) {
                  if (frames == 0) return;
                  double budget = compute_ns / 1e9 / frames;
                  auto& l = self->state.links[i];
                  int bits = choose_bits(elements, mbps, budget, l.min_bits, l.max_bits);
                  if (bits == l.bits) return;
                  l.bits = bits;
                  self->send(l.stage, quant_atom::value, static_cast<int32_t>(bits), l.clip);
                },
                [](caf::error&) {}); // a stage that does not answer keeps its bits
      },
      [=](caf::get_atom) {
        std::vector<int32_t> bits;
        for (auto& l : self->state.links) bits.push_back(l.bits);
        return bits;
      },
  };
}

} // namespace

caf::actor spawn_planner(caf::actor_system& sys, std::vector<planned_link> links) {
  return sys.spawn(planner_actor, std::move(links));
}

} // namespace edgepipe::actors
