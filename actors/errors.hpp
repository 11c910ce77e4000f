// errors: edgepipe::error <-> caf::error, so a failure in a stage on one node
// (a bad frame, a missing weight file) reaches the run process as a readable
// caf::error in the "edgepipe" category, with the original message as context.
#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "base/expected.hpp"

CAF_ERROR_CODE_ENUM(edgepipe::errc, "edgepipe")

namespace edgepipe::actors {

// errc + message -> caf::error{code, "edgepipe", make_message(message)}.
caf::error to_caf_error(const edgepipe::error& err);
caf::error make_caf_error(errc code, std::string message);

// Any caf::error -> edgepipe::error. CAF's own codes map to timeout (request
// timeouts) or internal; the message says what CAF said.
edgepipe::error from_caf_error(const caf::error& err);

// Human-readable text for any caf::error (ours: just the message).
std::string describe(const caf::error& err);

} // namespace edgepipe::actors
