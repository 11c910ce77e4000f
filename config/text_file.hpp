// text_file: whole-file reads and writes for config/'s readers (topologies,
// traces, PipeEdge profiles), with errors that name the path.
#pragma once

#include <string>

#include "base/expected.hpp"

namespace edgepipe::config {

// Reads a file, or an io_error / not_found naming it.
expected<std::string> read_text(const std::string& path);

// The same for a file that must not exceed max_bytes: a larger regular file is
// refused from its size before any byte is read, and a pipe or device that
// gives more is refused after max_bytes + 1 ("PATH: the WHAT is N bytes;
// expected at most M (1 MiB)", errc::invalid_input).
expected<std::string> read_text(const std::string& path, size_t max_bytes, const std::string& what);

// Writes text to path (replacing it).
expected<void> write_text(const std::string& path, const std::string& text);

} // namespace edgepipe::config
