#include "actors/stage_actor.hpp"

#include <chrono>
#include <deque>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/encoder_actor.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/stage_source.hpp"
#include "codecs/codec.hpp"
#include "ops/stage_memory.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::actors {

namespace {

using clock_type = std::chrono::steady_clock;

// A stage holds at most this many computed results its encoder has not taken:
// one being encoded/sent, one ready behind it.
constexpr int max_handed = 2;
// How long a stage waits for its own worker: longer than any layer range.
constexpr auto compute_timeout = std::chrono::minutes(10);
constexpr auto connect_timeout = std::chrono::seconds(30);

} // namespace

expected<ops::vit_model> load_stage_model(const stage_spec& spec) {
  ops::model_options opts;
  opts.threads = spec.threads < 1 ? 1 : spec.threads;
  opts.first = spec.first;
  opts.last = spec.last;
  auto dt = ops::parse_dtype(spec.dtype);
  if (!dt) return dt.error();
  opts.compute = *dt;
  auto source = stage_model_source(spec);
  if (!source) return source.error();
  return source->load(opts);
}

namespace {

// -- the compute worker: decode, forward, on its own thread --------------------

struct worker_state {
  std::unique_ptr<ops::vit_model> model;
  int first = 1, last = 0;
  static inline const char* name = "edgepipe.stage_worker";
  // A retired stage's weights go back to the system (glibc would keep them
  // in its arenas, and the node's RSS with them).
  ~worker_state() {
    model.reset();
    ops::release_free_memory();
  }
};

expected<ops::tensor> decode_tensor(const std::vector<uint8_t>& bytes, const char* what) {
  auto frame = codecs::decode(bytes.data(), bytes.size());
  if (!frame)
    return make_error(frame.error().code, std::string(what) + " frame: " + frame.error().message);
  ops::tensor t;
  t.shape = std::move(frame->shape);
  t.data = std::move(frame->data);
  return t;
}

caf::behavior worker_actor(caf::stateful_actor<worker_state>* self,
                           std::shared_ptr<ops::vit_model> model, int first, int last) {
  self->state.model = std::make_unique<ops::vit_model>(std::move(*model));
  self->state.first = first;
  self->state.last = last;
  return {
      [=](compute_atom, frame_msg& in) -> caf::result<activation_msg> {
        ops::activation src;
        auto main = decode_tensor(in.main, "main");
        if (!main) return to_caf_error(main.error());
        src.main = std::move(*main);
        if (!in.skip.empty()) {
          auto skip = decode_tensor(in.skip, "skip");
          if (!skip) return to_caf_error(skip.error());
          src.skip = std::move(*skip);
        }
        auto dst = self->state.model->forward(self->state.first, self->state.last, src);
        if (!dst) return to_caf_error(dst.error());
        activation_msg out;
        out.seq = in.seq;
        out.origin_ns = in.origin_ns;
        out.value = std::move(*dst);
        return out;
      },
  };
}

// -- the stage ------------------------------------------------------------------

struct queued_frame {
  frame_msg frame;
  caf::strong_actor_ptr from; // the upstream encoder: gets the credit
};

struct stage_state {
  caf::actor worker;
  caf::actor encoder;
  std::deque<queued_frame> queue;
  std::deque<activation_msg> unwired; // results computed before wiring (normally none)
  bool computing = false;
  int handed = 0; // results sent to the encoder, not yet taken
  uint64_t frames = 0;
  int64_t compute_ns = 0;
  static inline const char* name = "edgepipe.stage";
};

using stage_actor_t = caf::stateful_actor<stage_state>;

void pump(stage_actor_t* self);

void hand_to_encoder(stage_actor_t* self, activation_msg&& out) {
  auto& st = self->state;
  if (!st.encoder) {
    st.unwired.push_back(std::move(out));
    return;
  }
  ++st.handed;
  self->send(st.encoder, std::move(out));
}

void pump(stage_actor_t* self) {
  auto& st = self->state;
  if (st.computing || st.queue.empty() || st.handed >= max_handed || !st.unwired.empty()) return;
  queued_frame next = std::move(st.queue.front());
  st.queue.pop_front();
  // The frame left the queue: the sender may send another.
  if (next.from)
    self->send(caf::actor_cast<caf::actor>(next.from), credit_atom::value, next.frame.link,
               next.frame.seq);
  st.computing = true;
  auto started = clock_type::now();
  uint64_t seq = next.frame.seq;
  self->request(st.worker, compute_timeout, compute_atom::value, std::move(next.frame))
      .then(
          [=](activation_msg& out) {
            auto& s = self->state;
            s.computing = false;
            ++s.frames;
            s.compute_ns +=
                std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - started)
                    .count();
            hand_to_encoder(self, std::move(out));
            pump(self);
          },
          [=](caf::error& err) {
            // A bad frame loses this microbatch (the sink counts it), not the stage.
            self->state.computing = false;
            fprintf(stderr, "edgepipe stage: microbatch %llu failed: %s\n",
                    static_cast<unsigned long long>(seq), describe(err).c_str());
            pump(self);
          });
}

caf::behavior stage_actor(stage_actor_t* self, caf::actor worker) {
  self->state.worker = worker;
  self->link_to(worker); // the worker ends with its stage
  return {
      [=](frame_msg& in) {
        // Acknowledge at arrival: the sender measures its link by this.
        auto& from = self->current_sender();
        if (from) self->send(caf::actor_cast<caf::actor>(from), ack_atom::value, in.link, in.seq);
        self->state.queue.push_back(queued_frame{std::move(in), from});
        pump(self);
      },
      [=](taken_atom) {
        --self->state.handed;
        pump(self);
      },
      [=](wire_atom, link_spec& spec, caf::actor& next,
          caf::actor& monitor) -> caf::result<caf::ok_atom> {
        if (!next) return make_caf_error(errc::invalid_argument, "wire: no next actor");
        auto rp = self->make_response_promise<caf::ok_atom>();
        auto finish = [=](const link_spec& s) mutable {
          auto& st = self->state;
          if (st.encoder) self->send_exit(st.encoder, caf::exit_reason::user_shutdown);
          st.encoder = spawn_encoder(self->system(), s, next, monitor);
          self->link_to(st.encoder);
          while (!st.unwired.empty()) {
            ++st.handed;
            self->send(st.encoder, std::move(st.unwired.front()));
            st.unwired.pop_front();
          }
          rp.deliver(caf::ok_atom::value);
          pump(self);
        };
        if (spec.next_host.empty()) {
          finish(spec);
        } else {
          // Adjacent stages talk over their own connection, never through the
          // run process (CAF's automatic connections are off).
          auto mm = self->system().middleman().actor_handle();
          self->request(mm, connect_timeout, caf::connect_atom::value, spec.next_host,
                        spec.next_port)
              .then([=](const caf::node_id&, caf::strong_actor_ptr&,
                        const std::set<std::string>&) mutable { finish(spec); },
                    [=](caf::error& err) mutable {
                      rp.deliver(make_caf_error(errc::io_error, "stage cannot connect to " +
                                                                    spec.next_host + ":" +
                                                                    std::to_string(spec.next_port) +
                                                                    ": " + describe(err)));
                    });
        }
        return rp;
      },
      [=](quant_atom q, int32_t bits, uint8_t clip) {
        if (self->state.encoder) self->send(self->state.encoder, q, bits, clip);
      },
      [=](stats_atom) { return caf::make_message(self->state.frames, self->state.compute_ns); },
  };
}

} // namespace

expected<caf::actor> spawn_stage(caf::actor_system& sys, const stage_spec& spec) {
  auto model = load_stage_model(spec);
  if (!model) return model.error();
  int last = spec.last == 0 ? model->num_layers() : spec.last;
  if (spec.first < 1 || spec.first > last || last > model->num_layers())
    return make_error(errc::invalid_argument,
                      "stage layers " + std::to_string(spec.first) + ".." + std::to_string(last) +
                          " outside the model's 1.." + std::to_string(model->num_layers()));
  auto shared = std::make_shared<ops::vit_model>(std::move(*model));
  auto worker = sys.spawn<caf::detached>(worker_actor, shared, spec.first, last);
  return sys.spawn(stage_actor, worker);
}

} // namespace edgepipe::actors
