// messages: every message the pipeline's actors exchange, as named structs
// with the `inspect` overloads CAF serializes them by (register_types adds
// each one on every node). Tensor payloads cross the network as codecs frames
// in byte vectors: CAF copies a byte vector with one memcpy, a float vector
// element by element. Included by actors/*.cpp and the typed interfaces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "actors/specs.hpp"
#include "ops/activation.hpp"

namespace edgepipe::actors {

// -- data path ------------------------------------------------------------------

// A microbatch on a link: runtime::activation_frames plus where it belongs.
struct frame_msg {
  uint64_t epoch = 0;        // the plan it was sent under
  uint32_t link = 0;         // link i feeds stage i; link N feeds the sink
  uint64_t seq = 0;          // microbatch number, given by the source
  int64_t origin_ns = 0;     // source hand-off time, the run process's steady clock
  std::vector<uint8_t> main; // codecs frames (runtime/activation_frames.hpp)
  std::vector<uint8_t> skip;
  std::vector<uint8_t> mask;
};

// The receiver got a frame (sent at arrival: the sender measures its link by it).
struct frame_ack {
  uint64_t epoch = 0;
  uint32_t link = 0;
  uint64_t seq = 0;
};

// The receiver took a frame off its queue: the sender may send one more.
struct frame_credit {
  uint64_t epoch = 0;
  uint32_t link = 0;
  uint64_t seq = 0;
};

// A computed activation, from a stage (or the source) to its own encoder.
// Stays inside one process.
struct result_msg {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  int64_t origin_ns = 0;
  ops::activation value;
  int64_t compute_ns = 0; // the worker's decode + forward (a stage's result only)
};

// The encoder took a result: its producer may hand over the next.
struct result_taken {
  uint64_t seq = 0;
};

// -- control --------------------------------------------------------------------

// Sets an encoder's bitwidth and clipping; a stage forwards it to its encoder.
// Takes effect at the next frame; decoders follow the frame header.
struct set_bits {
  uint32_t link = 0;
  int32_t bits = 0;
  uint8_t clip = 0;
};

// What the sending end of a link knows about it (runtime::link_estimator),
// sent by the encoder to the bandwidth monitor about every 200 ms.
struct link_report {
  uint64_t epoch = 0;
  uint32_t link = 0;
  double mbps = 0;       // estimated capacity, 0 = no estimate yet
  double confidence = 0; // 0..1
  bool lower_bound = true;
  double latency_ms = 0;
  int32_t bits = 0;         // what the encoder sends at now
  uint64_t frame_bytes = 0; // the last frame's size at those bits
  uint64_t frames = 0;      // sent so far
  // The tensors of the last frame (empty: absent), so the planner knows a
  // frame's size at every bitwidth (runtime::encoded_bytes).
  std::vector<int64_t> main_shape, skip_shape, mask_shape;
  // The producer's main comes in s8 form (an int8 stage ending after 4k+1 or
  // 4k+3): at 8 bits it crosses as an s8 frame (runtime::encoded_bytes).
  bool main_s8 = false;
  uint32_t backlog = 0; // results waiting for a credit
  // The oldest frame in the link (offered, not acknowledged) has been there
  // this long, with this many bytes in the link in all: if the link were
  // faster than unacked_bytes / stalled_ms it would have delivered them, so
  // a long stall bounds the capacity from above before any ack arrives.
  double stalled_ms = 0;
  uint64_t unacked_bytes = 0;
};

// A stage's periodic report (about every 500 ms) to the planner.
struct stage_report {
  uint64_t epoch = 0;
  uint32_t stage = 0;
  double busy = 0;              // compute time / wall time since the last report
  double ms_per_microbatch = 0; // recent mean compute time (decode + layers)
  uint64_t computed = 0, failed = 0, dropped_stale = 0;
  uint32_t queued = 0;
};

// A stage could not decode or compute a microbatch: the source replays it.
struct stage_failure {
  uint64_t epoch = 0;
  uint32_t stage = 0;
  uint64_t seq = 0;
  std::string what;
};

// Everything needed for a stage to send on: its outgoing link and who
// reports go to. `next` is the next stage or the sink.
struct wire_spec {
  uint64_t epoch = 0;
  uint32_t stage = 0;
  link_spec out;
};

// -- inspect ----------------------------------------------------------------------

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, frame_msg& x) {
  return f(caf::meta::type_name("frame_msg"), x.epoch, x.link, x.seq, x.origin_ns, x.main, x.skip,
           x.mask);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, frame_ack& x) {
  return f(caf::meta::type_name("frame_ack"), x.epoch, x.link, x.seq);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, frame_credit& x) {
  return f(caf::meta::type_name("frame_credit"), x.epoch, x.link, x.seq);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, result_msg& x) {
  return f(caf::meta::type_name("result_msg"), x.epoch, x.seq, x.origin_ns, x.value.main.shape,
           x.value.main.data, x.value.skip.shape, x.value.skip.data, x.value.mask.shape,
           x.value.mask.data, x.value.main_s8.shape, x.value.main_s8.data, x.value.main_s8.step,
           x.compute_ns);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, result_taken& x) {
  return f(caf::meta::type_name("result_taken"), x.seq);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, set_bits& x) {
  return f(caf::meta::type_name("set_bits"), x.link, x.bits, x.clip);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, link_report& x) {
  return f(caf::meta::type_name("link_report"), x.epoch, x.link, x.mbps, x.confidence,
           x.lower_bound, x.latency_ms, x.bits, x.frame_bytes, x.frames, x.main_shape, x.skip_shape,
           x.mask_shape, x.main_s8, x.backlog, x.stalled_ms, x.unacked_bytes);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stage_report& x) {
  return f(caf::meta::type_name("stage_report"), x.epoch, x.stage, x.busy, x.ms_per_microbatch,
           x.computed, x.failed, x.dropped_stale, x.queued);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stage_failure& x) {
  return f(caf::meta::type_name("stage_failure"), x.epoch, x.stage, x.seq, x.what);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, wire_spec& x) {
  return f(caf::meta::type_name("wire_spec"), x.epoch, x.stage, x.out);
}

} // namespace edgepipe::actors
