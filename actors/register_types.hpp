// register_types: what every actor system that runs edgepipe actors must set
// up. CAF only serializes registered types; an unregistered one is an error
// on stderr and an empty message at the receiver, so every node, the run
// process and embedding applications call this before creating their system.
#pragma once

#include <caf/fwd.hpp>

namespace edgepipe::actors {

// Registers edgepipe's message types and its error category.
void register_types(caf::actor_system_config& cfg);

// register_types, plus what edgepipe's processes want from CAF: the
// middleman (networking), the `sharing` scheduler (about 3x lower round-trip
// latency than `stealing` here), and middleman heartbeats so a stopped peer
// is noticed (heartbeat 500 ms, connection timeout 3 s). Call before
// cfg.parse() so a caf-application.ini or --caf... options can override.
void configure_system(caf::actor_system_config& cfg);

} // namespace edgepipe::actors
