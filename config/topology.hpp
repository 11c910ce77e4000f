// topology: a YAML deployment description (docs/topology.md) -> plain,
// validated structs. `edgepipe run` loads one, validates it against the
// model's layer count, and only then starts anything: every mistake a user can
// make in the file is an error value naming file:line:col and what was expected.
//
// Conventions shared with the rest of edgepipe:
//   * layers are the planner layers of ops/vit_model.hpp, numbered 1..4*L,
//     ranges inclusive;
//   * 1 Mbit/s = 1'000'000 bit/s on emulated links (network convention);
//   * paths in the file are relative to the file's directory and are stored
//     resolved (absolute when the file's path was absolute).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::config {

// Where a value was written: 1-based line and column. Empty file = not from a file.
struct source_pos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const; // "file:line:col"
};

struct node_spec {
  std::string name;
  std::string host;           // address = host:port
  int port = 0;               // 0 only with start_locally: the node picks a free port
  bool start_locally = false; // `edgepipe run` starts `edgepipe node` on this machine itself
  int threads = 1;            // compute threads of the node's stages
  int64_t memory_mb = 0;      // memory limit for the planner; 0 = unlimited
  // The machine the node runs on: nodes of one machine share its cores (the
  // simulator models it; see docs/topology.md). Default: "local" for nodes
  // started locally or at a loopback address, else the address's host.
  std::string machine;
  source_pos pos;
  std::string address() const { return host + ":" + std::to_string(port); }
};

struct model_spec {
  std::string dir;           // a Hugging Face ViT directory (config.json + model.safetensors), or
  std::string synthetic;     // "vit-base" | "vit-large" | "vit-huge": seeded random weights
  uint64_t seed = 1;         // weights seed for synthetic models
  std::string dtype = "f32"; // "f32" | "bf16" | "int8" (ops::parse_dtype)
  source_pos pos;            // of the dir / synthetic value
  bool is_synthetic() const { return !synthetic.empty(); }
};

// One pipeline stage of an explicit partition: layers [first, last] on `node`.
struct stage_spec {
  std::string node;
  int first = 0;
  int last = 0;
  source_pos pos;
};

struct partition_spec {
  bool automatic = true;          // `partition: auto`: the planner places layers on the nodes
  bool even = false;              // `partition: even`: equal layer counts over all nodes in
                                  // the listed order; stages filled by resolve_partition()
  std::vector<stage_spec> stages; // explicit: in pipeline order, contiguous from layer 1
  source_pos pos;
};

// Which link an override is for: the link leaving stage `after_stage`
// (0-based, pipeline order), or the link from node `from` to node `to`.
struct link_selector {
  int after_stage = -1; // -1: selected by node pair
  std::string from;
  std::string to;
  bool by_nodes() const { return after_stage < 0; }
};

enum class quant_mode { fixed, adaptive };

// How activations are quantized on a link (codecs/codec.hpp).
struct quant_spec {
  quant_mode mode = quant_mode::fixed;
  int bits = 0;                       // fixed: 0 = raw float32, 1..16 quantized
  int min_bits = 2;                   // adaptive: the planner picks bits in [min_bits, max_bits]
  int max_bits = 16;                  //   from the measured bandwidth (1..16, min <= max)
  std::string clip = "none";          // codecs::parse_clip_method: none | aciq | ds-aciq | mse
  std::string granularity = "tensor"; // codecs::parse_granularity: tensor | sample
  source_pos pos;
};

enum class bandwidth_kind { unlimited, fixed, trace };

// A step of a bandwidth trace: from time_s on (seconds since the run started)
// the link runs at mbps, until the next point.
struct rate_point {
  double time_s = 0;
  double mbps = 0;
};

// The emulated bandwidth of a link (actors/link_shaper.hpp enforces it).
struct bandwidth_spec {
  bandwidth_kind kind = bandwidth_kind::unlimited;
  double mbps = 0;               // fixed: > 0
  std::vector<rate_point> trace; // trace: time 0 first, times increasing, mbps >= 0,
                                 // piecewise constant; the last rate holds on
  bool repeat = false;           // trace: starts over every repeat_period_s
  double repeat_period_s = 0;    // trace with repeat: the trace's length (> last time_s)
  std::string trace_file;        // trace read from this CSV (resolved path), if any
  double burst_kb = 0;           // token bucket depth in KiB; 0 = a frame waits size/rate
  double latency_ms = 0;         // extra one-way delay added to every frame
  source_pos pos;
};

struct quant_override {
  link_selector link;
  quant_spec quant;
};

struct bandwidth_override {
  link_selector link;
  bandwidth_spec bandwidth;
};

struct quantization_spec {
  quant_spec default_link;               // every link not overridden
  std::vector<quant_override> overrides; // fields not given inherit default_link's
};

struct links_spec {
  bandwidth_spec default_link;               // every link not overridden
  std::vector<bandwidth_override> overrides; // latency_ms / burst_kb inherit default_link's
};

struct workload_spec {
  std::string dataset;        // IDX data set directory (resolved); empty when synthetic
  std::string text;           // text<TAB>label file (resolved) for a BERT; empty otherwise
  std::string split = "test"; // "test" (t10k-*) | "train" (train-*)
  bool synthetic = false;     // seeded random inputs of the model's image shape, no labels
  uint64_t seed = 1;          // synthetic inputs seed
  int count = 0;              // inputs to run; 0 = the whole data set (synthetic: required)
  int microbatch = 1;         // images per pipeline message
  int window = 2;             // K: microbatches in flight per link (credits)
  int warmup = 0;             // microbatches run before measuring
  source_pos pos;             // of the dataset/text value (synthetic: of the workload mapping)
};

struct runtime_spec {
  double connect_timeout_s = 10;     // reaching a node / starting a local node
  double request_timeout_s = 30;     // any request to a node or stage
  double heartbeat_interval_s = 0.5; // middleman heartbeat
  double heartbeat_timeout_s = 3;    // a silent peer is lost after this
  double run_timeout_s = 0;          // whole workload; 0 = no limit
  // A lost node is tried again every rejoin_interval_s; once back, with
  // replan_on_rejoin the run's plan is restored (or, with planner.replan,
  // the re-planner considers the node); without, it stands by.
  bool replan_on_rejoin = true;
  double rejoin_interval_s = 1;
};

// How the plan changes while running (runtime/replanner.hpp, runtime's bit
// controller). Defaults keep today's behaviour: the plan chosen at start stays.
struct planner_spec {
  bool replan = false;            // re-partition while running
  double margin = 0.1;            // switch only if new period * (1 + margin) < current period
  double hysteresis = 0.15;       // bit controller headroom, a fraction of the period (0..<1)
  double target_images_per_s = 0; // 0: the rate the plan's slowest stage computes at
  double min_interval_s = 5;      // at least this long between two switches
  double switch_cost_s = 0.5;     // assumed pause of one switch, amortized over the run
  source_pos pos;                 // of the planner mapping (empty when absent)
};

// Mutual TLS between the run process and the nodes (and between nodes): the
// CA every peer's certificate must be signed by, and the certificate and key
// of the run process (also given to the nodes it starts itself). Paths
// resolved; all empty when the topology has no `tls:` section. The files
// are opened only by `edgepipe run` (errors name `pos`), so a topology
// whose certificates are made later still loads.
struct tls_spec {
  std::string ca, certificate, key;
  source_pos pos; // of the tls mapping
  bool enabled() const { return !ca.empty(); }
};

struct topology {
  std::string name;     // optional `name:`; defaults to the file's stem
  std::string file;     // the file it came from ("<string>" when parsed from text)
  std::string base_dir; // directory relative paths were resolved against
  std::vector<node_spec> nodes;
  model_spec model;
  partition_spec partition;
  quantization_spec quantization;
  links_spec links;
  workload_spec workload;
  runtime_spec runtime;
  planner_spec planner;
  tls_spec tls;

  const node_spec* find_node(const std::string& name) const; // nullptr if absent
};

// Reads and checks everything that does not need the model: schema (unknown
// keys at every level, types, required keys), node names (unknown, listed
// twice), explicit ranges (overlap, gap, not starting at 1, first > last),
// bits, rates, traces (inline or CSV). Errors: errc::invalid_input (or
// not_found / io_error for the file itself), message "file:line:col: ...".
expected<topology> load_topology(const std::string& path);

// The same from YAML text; `file_name` appears in errors, `base_dir` resolves paths.
expected<topology> parse_topology(const std::string& yaml_text,
                                  const std::string& file_name = "<string>",
                                  const std::string& base_dir = ".");

// Checks the explicit partition against a model of `model_layers` planner
// layers (4 * num_hidden_layers): the last range must end exactly there.
// `even`: at most one node per layer (and, once resolved, the same checks).
expected<void> validate(const topology& topo, int model_layers);

// For `partition: even`, fills partition.stages: model_layers split over the
// nodes in order, the first (model_layers % nodes) stages one layer longer.
// Does nothing for explicit and auto partitions. Errors: more nodes than layers.
expected<void> resolve_partition(topology& topo, int model_layers);

// The model's planner layer count: 4 * num_hidden_layers from DIR/config.json,
// or from the named synthetic configuration (base 12, large 24, huge 32 blocks).
expected<int> model_layer_count(const model_spec& model);

// load_topology + model_layer_count + validate + resolve_partition, and the
// data set's IDX files exist: everything `edgepipe run` checks before starting.
expected<topology> load_and_validate(const std::string& path);

// The effective settings of one link of a running plan: the override for the
// node pair (from, to) if any, else the one for `after_stage`, else the default.
struct link_settings {
  bandwidth_spec bandwidth;
  quant_spec quant;
};
link_settings settings_for_link(const topology& topo, int after_stage, const std::string& from,
                                const std::string& to);

const char* to_string(quant_mode m);     // "fixed" | "adaptive"
const char* to_string(bandwidth_kind k); // "unlimited" | "fixed" | "trace"

} // namespace edgepipe::config
