#include "actors/source_actor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"
#include "actors/sink_actor.hpp"

namespace edgepipe::actors {

namespace {

constexpr int max_handed = 2;

struct source_state {
  caf::actor encoder;
  std::shared_ptr<const std::vector<ops::tensor>> batches;
  std::shared_ptr<run_record> record;
  size_t next = 0;
  int handed = 0;
  int max_in_pipeline = 0;
  int in_pipeline = 0;
  bool running = false;
  static inline const char* name = "edgepipe.source";
};

using source_actor_t = caf::stateful_actor<source_state>;

void feed(source_actor_t* self) {
  auto& st = self->state;
  while (st.running && st.handed < max_handed && st.next < st.batches->size() &&
         (st.max_in_pipeline <= 0 || st.in_pipeline < st.max_in_pipeline)) {
    activation_msg msg;
    msg.seq = st.next;
    msg.origin_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    msg.value.main = (*st.batches)[st.next];
    ++st.next;
    ++st.handed;
    ++st.in_pipeline;
    self->send(st.encoder, std::move(msg));
  }
}

caf::behavior source_actor(source_actor_t* self, caf::actor encoder,
                           std::shared_ptr<const std::vector<ops::tensor>> batches,
                           std::shared_ptr<run_record> record, int max_in_pipeline) {
  self->state.encoder = encoder;
  self->state.max_in_pipeline = max_in_pipeline;
  self->state.batches = std::move(batches);
  self->state.record = std::move(record);
  return {
      [=](start_atom) {
        auto& st = self->state;
        st.running = true;
        st.record->started(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count());
        feed(self);
      },
      [=](taken_atom) {
        --self->state.handed;
        feed(self);
      },
      [=](credit_atom, uint32_t, uint64_t) {
        --self->state.in_pipeline;
        feed(self);
      },
  };
}

} // namespace

caf::actor spawn_source(caf::actor_system& sys, const caf::actor& encoder,
                        std::shared_ptr<const std::vector<ops::tensor>> batches,
                        std::shared_ptr<run_record> record, int max_in_pipeline) {
  return sys.spawn(source_actor, encoder, std::move(batches), std::move(record), max_in_pipeline);
}

} // namespace edgepipe::actors
