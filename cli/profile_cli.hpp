// profile_cli: the options that name a set of PipeEdge profile files and the
// cost model, shared by `edgepipe plan` and `edgepipe simulate`.
#pragma once

#include "cli/args.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::cli {

// --models, --device-types, --devices, --links, --model, --microbatch,
// --dtype, --cost-model, --bits, --buffers-in, --buffers-out.
void add_profile_options(args& a);

// Reads the files and builds the planner's instance, printing the reader's
// warnings on stderr. Returns -1 on success, otherwise the exit code (the
// error already reported).
int read_profile_instance(const args& a, planner::instance& out);

} // namespace edgepipe::cli
