// profiles: the contents of PipeEdge's scheduler files as plain structs, and
// the planning instance built from them for one model, dtype and microbatch.
//
//   models.yml        model name -> layers, parameters_in, parameters_out[], mem_MB[]
//   device_types.yml  type name  -> bw_Mbps, mem_MB, model_profiles: model -> [{batch_size,
//                                   dtype, time_s[]}]
//   devices.yml       type name  -> [host, ...]
//   links.yml         (optional, edgepipe) host -> neighbor -> {bw_Mbps, bits}; the same shape
//                     as PipeEdge's device_neighbors_world.yml plus an optional wire bitwidth.
//
// Reading and writing the YAML lives in config/ (this library knows no YAML).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::planner {

struct model_spec {
  int layers = 0;
  int64_t parameters_in = 0;           // elements per sample entering layer 1
  std::vector<int64_t> parameters_out; // elements per sample leaving each layer (cyclic if short)
  std::vector<double> mem_mb;          // weights per layer, MB (PipeEdge reads MB as 2^20 bytes)
};

struct model_profile_entry {
  std::string dtype; // PipeEdge writes "torch.float32"
  int64_t batch_size = 0;
  std::vector<double> time_s; // seconds per layer at this microbatch size
};

struct device_type_spec {
  double mem_mb = 0;
  double bw_mbps = 0;
  std::map<std::string, std::vector<model_profile_entry>> model_profiles; // by model name
};

struct link_spec {
  double bw_mbps = 0;
  int bits = 0; // wire bitwidth on this link, 0 = raw float32 (edgepipe extension)
};

struct profile_set {
  std::map<std::string, model_spec> models;
  std::map<std::string, device_type_spec> device_types;
  std::map<std::string, std::vector<std::string>> devices;       // type -> hosts, in file order
  std::map<std::string, std::map<std::string, link_spec>> links; // from -> to -> link
};

// The arithmetic used to turn profiles into stage times and memory.
enum class cost_model {
  pipeedge, // PipeEdge's sched-pipeline, bit for bit (see planner/README.md)
  edgepipe, // as pipeedge, but a transfer is a codecs wire frame at the link's bitwidth
};
expected<cost_model> parse_cost_model(const std::string& name); // "pipeedge" | "edgepipe"
const char* to_string(cost_model m);

struct cost_options {
  cost_model model = cost_model::pipeedge;
  int64_t dtype_bytes = 4; // PipeEdge supports torch.float32 only
  int64_t batch_size = 8;
  int64_t buffers_in = 2;  // PipeEdge's --buffers-in default
  int64_t buffers_out = 2; // PipeEdge's --buffers-out default
  int default_bits = 0;    // edgepipe: bitwidth of links without one in links.yml
};

// One device as the planner sees it.
struct device {
  std::string host;
  std::string type;
  double mem_mb = 0;
  double bw_mbps = 0;
  std::vector<double> time_s; // per layer
};

// Everything the partition needs, validated: sizes match, no negative numbers.
struct instance {
  int layers = 0;
  int64_t parameters_in = 0;
  std::vector<int64_t> parameters_out; // expanded to `layers` entries
  std::vector<double> mem_mb;
  std::vector<device> devices; // device types in name order, hosts in file order (as PipeEdge)
  // Per ordered pair (from * n + to); empty when there is no links.yml. A pair
  // missing from links.yml falls back to the slower device's bw_Mbps.
  std::vector<double> link_mbps;
  std::vector<int> link_bits; // per ordered pair, or empty (all default_bits)
  cost_options options;

  bool has_links() const { return !link_mbps.empty(); }
  int num_devices() const { return static_cast<int>(devices.size()); }
};

// Picks the model and the matching profile (dtype, batch size) of every device
// type, as PipeEdge does: types without a matching profile are skipped (a note
// goes to `warnings`), hosts of unknown types are ignored. Errors name the file
// content at fault (model missing, time_s of the wrong length, ...).
expected<instance> make_instance(const profile_set& profiles, const std::string& model,
                                 const std::string& dtype, const cost_options& options,
                                 std::vector<std::string>* warnings = nullptr);

// Checks a model or device type on its own (used by the readers and writers).
expected<void> validate_model(const std::string& name, const model_spec& m);

} // namespace edgepipe::planner
