// thread_warnings: a node's stages may be given more compute threads than
// the machine has cores (the user may know better, so it is not an error),
// but they then share the cores time-sliced: `threads: 1024` on a 2-core
// machine ran 30x slower without a word. These say so.
#pragma once

#include <string>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {

// The cores this process may run on (its CPU affinity), at least 1.
int cores_here();

// "node X: threads 1024 > 2 cores on this machine; its stages will share
// them and run slower (expected threads <= 2)".
std::string thread_warning(const std::string& node, int threads, int cores);

// One warning per node that `edgepipe run` starts itself (start_locally)
// with more threads than `cores`, prefixed by the node's file:line:col.
// Remote nodes warn themselves when a stage is deployed on them.
std::vector<std::string> local_thread_warnings(const topology& topo, int cores);

} // namespace edgepipe::config
