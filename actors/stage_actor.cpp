#include "actors/stage_actor.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/encoder_actor.hpp"
#include "actors/errors.hpp"
#include "actors/stage_source.hpp"
#include "actors/transport.hpp"
#include "ops/stage_memory.hpp"
#include "ops/vit_model.hpp"
#include "runtime/stage_input_check.hpp"
#include "runtime/stage_machine.hpp"

namespace edgepipe::actors {

namespace {

using clock_type = std::chrono::steady_clock;
// How long a stage waits for its own worker: longer than any layer range.
constexpr auto compute_timeout = std::chrono::minutes(10);
constexpr auto connect_timeout = std::chrono::seconds(30);
// Connection attempts to the next stage's node lost to CAF's handshake race.
constexpr int connect_retries = 3;
constexpr auto report_interval = std::chrono::milliseconds(500);
// Results the encoder may hold untaken, and frames the compute worker may
// hold at once (runtime/stage_machine.hpp: why 2).
constexpr int max_handed = 2;
constexpr int worker_depth = 2;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

// -- the compute worker: decode + forward on a thread of its own ---------------

struct compute_job {
  runtime::stage_frame frame;
  // Return main in s8 form when the stage can (ops::main_form::s8): its link
  // sends 8 bits, so the encoder sends the codes as they are.
  bool s8_main = false;
};

// Never leaves the node, but CAF wants every message type inspectable.
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, compute_job& x) {
  auto& fr = x.frame;
  return f(caf::meta::type_name("compute_job"), fr.epoch, fr.seq, fr.origin_ns, fr.frames.main,
           fr.frames.skip, fr.frames.mask, x.s8_main);
}

using worker_actor = caf::typed_actor<caf::replies_to<compute_job>::with<result_msg>>;

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

worker_actor::behavior_type worker_impl(worker_actor::stateful_pointer<worker_state> self,
                                        std::shared_ptr<ops::vit_model> model, int first,
                                        int last) {
  self->state.model = std::make_unique<ops::vit_model>(std::move(*model));
  self->state.first = first;
  self->state.last = last;
  return {
      [=](compute_job& job) -> caf::result<result_msg> {
        // The stage's compute time: this thread's decode and forward, not
        // the hand-over to and from it (runtime/stage_machine.hpp says why).
        const int64_t start_ns = now_ns();
        auto src = runtime::decode_activation(job.frame.frames);
        if (!src) return to_caf_error(src.error());
        const auto form = job.s8_main ? ops::main_form::s8 : ops::main_form::f32;
        auto dst = self->state.model->forward(self->state.first, self->state.last, *src, form);
        if (!dst) return to_caf_error(dst.error());
        return result_msg{job.frame.epoch, job.frame.seq, job.frame.origin_ns, std::move(*dst),
                          now_ns() - start_ns};
      },
  };
}

// -- the stage ------------------------------------------------------------------

struct stage_state {
  runtime::stage_machine machine{1, 1, 1};
  uint32_t index = 0;
  // What the first layer takes: every frame is checked against it on arrival.
  ops::model_config cfg;
  int64_t max_batch = 1;
  // int8: the step an s8 main frame must carry into the first layer; and
  // whether main leaves the last layer in s8 form when the link sends 8 bits.
  runtime::s8_main_input s8_in;
  bool s8_out = false;
  int out_bits = 0; // the outgoing link's bits, as last set (wire_request, set_bits)
  worker_actor worker;
  encoder_actor encoder;
  encoder_actor upstream; // the previous link's encoder: gets acks and credits
  planner_actor planner;
  static inline const char* name = "edgepipe.stage";
};

using stage_ptr = stage_actor::stateful_pointer<stage_state>;

std::string stage_label(const stage_state& s) {
  return "stage " + std::to_string(s.index) + " (layers " + std::to_string(s.machine.first()) +
         ".." + std::to_string(s.machine.last()) + ")";
}

// A frame of this stage's epoch, checked before it is queued or decoded: the
// link it claims and every header against what the first layer takes.
expected<void> check_frame(const stage_state& s, uint32_t in_link,
                           const runtime::activation_frames& frames) {
  const std::string link = "link " + std::to_string(in_link);
  if (in_link != s.index)
    return make_error(errc::invalid_input,
                      link + " frame field 'link': " + std::to_string(in_link) + ", but " +
                          stage_label(s) + " is fed by link " + std::to_string(s.index));
  auto ok = runtime::check_stage_frames(frames, s.cfg, s.machine.first(), s.max_batch, s.s8_in);
  if (!ok) return make_error(ok.error().code, link + " " + ok.error().message);
  return {};
}

void report_failure(stage_ptr self, uint64_t seq, const std::string& what) {
  auto& s = self->state;
  if (s.planner)
    self->send(s.planner, stage_failure{s.machine.epoch(), s.index, seq, what});
  else
    std::fprintf(stderr, "edgepipe stage: microbatch %llu failed: %s\n",
                 static_cast<unsigned long long>(seq), what.c_str());
}

stage_report make_report(stage_ptr self) {
  auto& st = self->state;
  const auto& c = st.machine.counters();
  stage_report r;
  r.epoch = st.machine.epoch();
  r.stage = st.index;
  r.busy = st.machine.busy_since_last(now_ns());
  r.ms_per_microbatch = st.machine.recent_ms_per_microbatch();
  r.computed = c.computed;
  r.failed = c.failed;
  r.dropped_stale = c.dropped_stale;
  r.queued = static_cast<uint32_t>(st.machine.queued());
  return r;
}

void pump(stage_ptr self) {
  auto& st = self->state;
  if (!st.encoder) return; // not wired yet: frames wait in the queue
  auto next = st.machine.next_to_compute(now_ns());
  if (!next) return;
  // The frame left the queue: the sender may send another.
  if (st.upstream) self->send(st.upstream, frame_credit{next->epoch, st.index, next->seq});
  uint64_t seq = next->seq;
  // The bits may change before the encoder takes the result; it then sends an
  // s8 main dequantized, or an f32 one through the codec: both decode.
  const bool s8 = st.s8_out && runtime::main_crosses_as_s8(st.out_bits);
  self->request(st.worker, compute_timeout, compute_job{std::move(*next), s8})
      .then(
          [=](result_msg& out) {
            self->state.machine.on_computed(now_ns(), out.compute_ns);
            self->send(self->state.encoder, std::move(out));
            pump(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.machine.on_failed(now_ns());
            report_failure(self, seq, stage_label(s) + ": " + describe(err));
            pump(self);
          });
}

// Connects this node to the next stage's node (TLS when the node has it),
// then calls `done`. CAF 0.17.6 starts an outgoing connection with its
// last_seen time at zero (basp_broker's connect handler), so a heartbeat tick
// before the server's handshake arrives drops it as timed out
// (sec::connection_timeout), and a connection whose handle reuses the number
// of one just closed can be dropped with it (disconnect_during_handshake).
// Seen after a node was stopped and resumed; a fresh attempt does not meet
// the same tick, so these two are tried again, `retries` times.
void connect_next(stage_ptr self, caf::io::middleman_actor mm, std::string host, uint16_t port,
                  int retries, std::function<void()> done,
                  std::function<void(const std::string&)> fail) {
  self->request(mm, connect_timeout, caf::connect_atom::value, host, port)
      .then([=](const caf::node_id&, caf::strong_actor_ptr&,
                const std::set<std::string>&) { done(); },
            [=](caf::error& err) {
              if (retries > 0 && (err == caf::sec::connection_timeout ||
                                  err == caf::sec::disconnect_during_handshake)) {
                std::fprintf(stderr, "edgepipe stage: connecting to %s:%u: %s; trying again\n",
                             host.c_str(), unsigned(port), describe(err).c_str());
                return connect_next(self, mm, host, port, retries - 1, done, fail);
              }
              fail("stage cannot connect to " + host + ":" + std::to_string(port) + ": " +
                   describe(err));
            });
}

stage_actor::behavior_type stage_impl(stage_ptr self, worker_actor worker, uint64_t epoch,
                                      uint32_t index, int first, int last, ops::model_config cfg,
                                      int64_t max_batch, runtime::s8_main_input s8_in,
                                      bool s8_out) {
  auto& st = self->state;
  st.machine = runtime::stage_machine(epoch, first, last, max_handed, worker_depth);
  st.index = index;
  st.cfg = std::move(cfg);
  st.max_batch = max_batch;
  st.s8_in = s8_in;
  st.s8_out = s8_out;
  st.worker = worker;
  self->link_to(worker); // the worker ends with its stage
  return {
      [=](frame_msg& in) {
        auto& s = self->state;
        auto from = caf::actor_cast<encoder_actor>(self->current_sender());
        // Acknowledge at arrival: the sender measures its link by this.
        if (from) self->send(from, frame_ack{in.epoch, in.link, in.seq});
        runtime::stage_frame f;
        f.epoch = in.epoch;
        f.seq = in.seq;
        f.origin_ns = in.origin_ns;
        f.frames = {std::move(in.main), std::move(in.skip), std::move(in.mask)};
        if (f.epoch == s.machine.epoch()) {
          if (auto ok = check_frame(s, in.link, f.frames); !ok) {
            // Refused before anything is decoded; the sender gets its credit
            // back and the planner has the source replay the microbatch.
            s.machine.on_rejected();
            if (from) self->send(from, frame_credit{in.epoch, in.link, in.seq});
            report_failure(self, in.seq, stage_label(s) + ": " + ok.error().message);
            return;
          }
          if (from) s.upstream = from;
        }
        if (!s.machine.on_frame(std::move(f))) {
          // Another plan's frame: dropped, but its sender gets its credit back.
          if (from) self->send(from, frame_credit{in.epoch, in.link, in.seq});
          return;
        }
        pump(self);
      },
      [=](result_taken&) {
        self->state.machine.on_taken();
        pump(self);
      },
      [=](wire_request& req) -> caf::result<caf::ok_atom> {
        if (!req.next) return make_caf_error(errc::invalid_argument, "wire: no next actor");
        auto rp = self->make_response_promise<caf::ok_atom>();
        auto finish = [=]() mutable {
          auto& s = self->state;
          if (s.encoder) self->send_exit(s.encoder, caf::exit_reason::user_shutdown);
          s.planner = req.planner;
          encoder_wiring w{req.spec.epoch, req.spec.out, req.next, req.monitor,
                           req.planner,    s.index,      s.s8_out};
          s.out_bits = req.spec.out.bits;
          s.encoder = spawn_encoder(self->system(), w);
          self->link_to(s.encoder);
          if (s.planner) self->delayed_send(self, report_interval, stage_tick{});
          rp.deliver(caf::ok_atom::value);
          pump(self);
        };
        const auto& out = req.spec.out;
        if (out.next_host.empty()) {
          finish();
        } else {
          // Adjacent stages talk over their own connection, never through the
          // run process (CAF's automatic connections are off).
          connect_next(self, connector(self->system()), out.next_host, out.next_port,
                       connect_retries, finish, [=](const std::string& why) mutable {
                         rp.deliver(make_caf_error(errc::io_error, why));
                       });
        }
        return rp;
      },
      [=](set_bits& b) {
        self->state.out_bits = b.bits;
        if (self->state.encoder) self->send(self->state.encoder, b);
      },
      [=](stage_tick) {
        auto& s = self->state;
        if (!s.planner) return;
        self->send(s.planner, make_report(self));
        self->delayed_send(self, report_interval, stage_tick{});
      },
      [=](get_stage_report) { return make_report(self); },
  };
}

} // namespace

expected<ops::vit_model> load_stage_model(const stage_spec& spec) {
  ops::model_options opts;
  opts.threads = spec.threads < 1 ? 1 : spec.threads;
  opts.first = spec.first;
  opts.last = spec.last;
  auto dt = ops::parse_dtype(spec.dtype);
  if (!dt) return dt.error();
  opts.compute = *dt;
  opts.max_batch = spec.max_batch > 0 ? spec.max_batch : stage_default_max_batch;
  auto source = stage_model_source(spec);
  if (!source) return source.error();
  return source->load(opts);
}

expected<stage_actor> spawn_stage(caf::actor_system& sys, const stage_spec& spec, uint64_t epoch,
                                  uint32_t stage) {
  auto model = load_stage_model(spec);
  if (!model) return model.error();
  int last = spec.last == 0 ? model->num_layers() : spec.last;
  if (spec.first < 1 || spec.first > last || last > model->num_layers())
    return make_error(errc::invalid_argument,
                      "stage layers " + std::to_string(spec.first) + ".." + std::to_string(last) +
                          " outside the model's 1.." + std::to_string(model->num_layers()));
  auto shared = std::make_shared<ops::vit_model>(std::move(*model));
  ops::model_config cfg = shared->config();
  const int64_t max_batch = shared->options().max_batch;
  // Every stage of a run reads the same calibration, so the steps agree.
  const runtime::s8_main_input s8_in{shared->options().compute,
                                     shared->s8_main_step(spec.first - 1)};
  const bool s8_out = shared->s8_main_step(last).has_value();
  auto worker = sys.spawn<caf::detached>(worker_impl, shared, spec.first, last);
  return sys.spawn(stage_impl, worker, epoch, stage, spec.first, last, std::move(cfg), max_batch,
                   s8_in, s8_out);
}

} // namespace edgepipe::actors
