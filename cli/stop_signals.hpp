// stop_signals: how the edgepipe programs take SIGINT and SIGTERM. Both are
// blocked in the calling thread, and so in every thread it starts afterwards
// (CAF's included, which inherit the mask), and one watching thread takes
// them with sigwait: no handler runs inside an actor or a lock.
#pragma once

#include <csignal>

namespace edgepipe::cli {

// Blocks SIGINT and SIGTERM in this thread; returns the set for sigwait.
// Call it before the actor system (or any other thread) starts.
sigset_t block_stop_signals();

} // namespace edgepipe::cli
