// yaml_guard: checks on YAML text before yaml-cpp builds its tree. yaml-cpp
// keeps every value of a document in memory at about 100-250 bytes per byte
// of input and takes about a second per MB (a 50 MB topology took 36 s and
// 4.3 GB before its first error), and aliases make a small text stand for a
// huge tree (billion laughs). So before loading, a file must be text (no
// NUL or other control bytes), at most `max_bytes` long, nested at most
// `max_depth` deep, and describe at most `max_nodes` values counting every
// alias as the values it stands for. The check streams yaml-cpp's events and
// stops at the first value over a limit, so it costs one scan of the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/expected.hpp"

namespace edgepipe::config {

struct yaml_limits {
  size_t max_bytes = 1 << 20;
  int max_depth = 64;          // nested mappings and lists
  int64_t max_nodes = 100'000; // scalars, mappings and lists, aliases expanded
  bool unique_keys = false;    // also refuse a plain key given twice in one mapping
};

// A topology is a few KB; an inline trace of 30,000 points still fits.
inline constexpr yaml_limits topology_limits{1 << 20, 64, 100'000, false};
// PipeEdge profiles: a few models x device types x batch sizes x layers.
inline constexpr yaml_limits profile_limits{4 << 20, 64, 500'000, true};
// A model's config.json (JSON is YAML), read for its layer count.
inline constexpr yaml_limits model_config_limits{4 << 20, 64, 500'000, false};
// A bandwidth trace CSV (one line per point; a day at 10 points/s is ~10 MB).
inline constexpr size_t trace_file_max_bytes = 16 << 20;

// "1 MiB", "512 KiB", "100 bytes": a limit as a person reads it.
std::string size_text(size_t bytes);

// Checks `text` (named `file_name` in errors; `what` is "topology",
// "profile", ...) against `limits`. Errors are errc::invalid_input:
//   "FILE: the topology is N bytes; expected at most M (1 MiB)",
//   "FILE:L:C: byte 0x00 is not text; ...", "FILE:L:C: ... nested more than
//   64 deep ...", "FILE:L:C: ... more than 100000 values ...",
//   "FILE:L:C: YAML syntax error: ...", "FILE:L:C: key 'k' given twice ...".
expected<void> check_yaml_text(const std::string& text, const std::string& file_name,
                               const std::string& what, const yaml_limits& limits);

} // namespace edgepipe::config
