// path: a check every file-opening function applies to the path it is given.
// The C library reads a path up to its first NUL byte, so "dir/config.json\0"
// + "/model.safetensors" would open config.json as the weights: a path with
// a NUL byte in it is refused instead (it can arrive from YAML or a peer).
#pragma once

#include <string>

#include "base/expected.hpp"

namespace edgepipe {

// A printable form of a path for messages: a NUL byte shows as "\0".
inline std::string printable_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\0')
      out += "\\0";
    else
      out += c;
  }
  return out;
}

// An error naming the path if it holds a NUL byte (or is empty).
inline expected<void> check_path(const std::string& path) {
  if (path.empty()) return make_error(errc::invalid_argument, "empty path");
  if (path.find('\0') != std::string::npos)
    return make_error(errc::invalid_argument,
                      "path '" + printable_path(path) + "' contains a NUL byte");
  return {};
}

} // namespace edgepipe
