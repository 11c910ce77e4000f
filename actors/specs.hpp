// specs: the plain descriptions that cross actor and process boundaries
// (what a stage runs, how a link sends). No CAF here: applications and the CLI
// fill these in; the `inspect` overloads let CAF serialize them without this
// header pulling in CAF (they are templates over CAF's inspector).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgepipe::actors {

// The sizes of a synthetic ViT when no named configuration fits (tests use
// tiny ones). All zero = unused.
struct vit_dims {
  int32_t image_size = 0, patch_size = 0, num_channels = 0, hidden_size = 0;
  int32_t num_attention_heads = 0, num_hidden_layers = 0, intermediate_size = 0;
  int32_t num_labels = 0;
};

// Which model a stage runs and which of its planner layers. Every node loads
// the weights from its own disk (model_dir); they never cross the network.
struct stage_spec {
  std::string model_dir; // a directory with config.json + model.safetensors
  std::string synthetic; // or "vit-base" | "vit-large" | "vit-huge"
  vit_dims dims;         // or these sizes (synthetic, seeded)
  uint64_t seed = 0;     // synthetic weights' seed: equal on every node
  int32_t first = 1;     // planner layers first..last (1-based, inclusive)
  int32_t last = 0;
  int32_t threads = 1; // compute threads of this stage
  std::string dtype = "f32";
  // The largest microbatch the stage accepts (its deployment's); a frame
  // claiming more is refused. 0: stage_default_max_batch.
  int32_t max_batch = 0;
};

constexpr int32_t stage_default_max_batch = 256;

// How a link's sender shapes what it puts on the socket (an emulated link);
// the wire form of config::bandwidth_spec.
struct shaper_spec {
  enum mode_t : uint8_t { unlimited = 0, fixed = 1, trace = 2 };
  uint8_t mode = unlimited;
  double mbps = 0;                // fixed: rate in Mbit/s
  std::vector<double> trace_s;    // trace: time points (s since start), ascending
  std::vector<double> trace_mbps; // trace: rate from that time on
  bool repeat = false;            // trace: start over after repeat_period_s
  double repeat_period_s = 0;
  double burst_kb = 0;   // token bucket depth (KiB)
  double latency_ms = 0; // extra one-way delay per frame
  // Seconds since the run started when this link's sender is created: a
  // link deployed by a later plan continues the trace where the run is.
  double start_offset_s = 0;
};

// How an encoder sends on one link.
struct link_spec {
  uint32_t link = 0;  // link i feeds stage i; link N feeds the sink
  int32_t bits = 0;   // 0 = raw float32
  uint8_t clip = 0;   // codecs::clip_method
  uint8_t gran = 0;   // codecs::granularity
  int32_t window = 4; // credits: at most this many microbatches in flight
  shaper_spec shaper;
  // Where the receiver's node listens, so the sender connects to it directly
  // (CAF relays through a third node otherwise). Empty host: same process.
  std::string next_host;
  uint16_t next_port = 0;
};

// What a node reports about itself.
struct node_info {
  std::string name;
  int32_t threads = 1;
  int64_t memory_mb = 0;
  std::string host;
  int32_t pid = 0;
  int32_t stages = 0; // live stage actors
  int32_t cores = 0;  // CPUs the node's process may run on (its machine's, unless pinned)
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, vit_dims& x) {
  return f(x.image_size, x.patch_size, x.num_channels, x.hidden_size, x.num_attention_heads,
           x.num_hidden_layers, x.intermediate_size, x.num_labels);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stage_spec& x) {
  return f(x.model_dir, x.synthetic, x.dims, x.seed, x.first, x.last, x.threads, x.dtype,
           x.max_batch);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, shaper_spec& x) {
  return f(x.mode, x.mbps, x.trace_s, x.trace_mbps, x.repeat, x.repeat_period_s, x.burst_kb,
           x.latency_ms, x.start_offset_s);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, link_spec& x) {
  return f(x.link, x.bits, x.clip, x.gran, x.window, x.shaper, x.next_host, x.next_port);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(x.name, x.threads, x.memory_mb, x.host, x.pid, x.stages, x.cores);
}

} // namespace edgepipe::actors
