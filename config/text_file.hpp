// text_file: whole-file reads and writes for config/'s readers (topologies,
// traces, PipeEdge profiles), with errors that name the path.
#pragma once

#include <string>

#include "base/expected.hpp"

namespace edgepipe::config {

// Reads a file, or an io_error / not_found naming it.
expected<std::string> read_text(const std::string& path);

// Writes text to path (replacing it).
expected<void> write_text(const std::string& path, const std::string& text);

} // namespace edgepipe::config
