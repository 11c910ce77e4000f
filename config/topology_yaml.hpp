// topology_yaml: typed, position-aware reading of yaml-cpp nodes for the
// topology parser. Internal to config/ (not part of the public interface).
//
// Why an exception inside: a topology has dozens of fields and every read can
// fail; threading expected<T> through each would bury the schema in plumbing.
// A `topology_error` never leaves config/: parse_topology catches it and
// returns an edgepipe::error.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/yaml.hpp"

#include "config/topology.hpp"

namespace edgepipe::config::topology_yaml {

struct topology_error : std::runtime_error {
  explicit topology_error(const std::string& message) : std::runtime_error(message) {}
};

// The file name used in every position of the document being parsed.
struct document {
  std::string file;
  std::string base_dir;
  source_pos pos(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const;
  [[noreturn]] void fail(const source_pos& at, const std::string& what) const;
  std::string resolve(const std::string& path) const; // relative to base_dir
};

// "a mapping", "a sequence", "'abc'" ...: how a value looks, for messages.
std::string describe(const YAML::Node& node);

// A YAML mapping whose keys are checked: every key must be one of `allowed`,
// given once; finish() is implicit in the constructor (it checks up front).
class map_reader {
public:
  // `what` names the mapping in messages ("node", "workload", ...).
  map_reader(const document& doc, const YAML::Node& node, const std::string& what,
             const std::vector<std::string>& allowed);

  const YAML::Node& node() const { return node_; }
  const std::string& what() const { return what_; }
  bool has(const std::string& key) const;
  YAML::Node get(const std::string& key) const; // undefined node when absent
  YAML::Node require(const std::string& key) const;

  // Typed reads; `fallback` when the key is absent. Wrong types fail with
  // the value's position and what was expected.
  std::string string(const std::string& key, const std::string& fallback = "") const;
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  double number(const std::string& key, double fallback, double min) const; // finite, >= min
  bool boolean(const std::string& key, bool fallback) const;

  [[noreturn]] void fail_at(const std::string& key, const std::string& what) const;

private:
  const document& doc_;
  YAML::Node node_;
  std::string what_;
};

// Scalars on their own (sequence items, ...).
int64_t read_integer(const document& doc, const YAML::Node& value, const std::string& field,
                     int64_t min, int64_t max);
double read_number(const document& doc, const YAML::Node& value, const std::string& field,
                   double min);
std::string read_string(const document& doc, const YAML::Node& value, const std::string& field);

} // namespace edgepipe::config::topology_yaml

// Section readers shared by the topology parser's files.
namespace edgepipe::config::topology_yaml {

// Keys of a bandwidth description, a quantization description and a link selector.
extern const std::vector<std::string> bandwidth_keys;
extern const std::vector<std::string> quant_keys;
extern const std::vector<std::string> selector_keys;

// Reads the bandwidth keys of `map` over `inherit` (overrides inherit
// latency_ms and burst_kb; a rate, trace or trace_file replaces the kind).
bandwidth_spec read_bandwidth(const document& doc, const map_reader& map,
                              const bandwidth_spec& inherit);
// Reads the quantization keys of `map` over `inherit` (fields not given are inherited).
quant_spec read_quant(const document& doc, const map_reader& map, const quant_spec& inherit);

// A trace from CSV text: lines "time_s,mbps", '#' comments, an optional header line.
std::vector<rate_point> read_trace_csv(const std::string& text, const std::string& file_name);

// The whole document (topology_parse.cpp); throws topology_error.
topology read_topology(const document& doc, const YAML::Node& root);

} // namespace edgepipe::config::topology_yaml
