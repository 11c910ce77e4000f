// node_gate: how `edgepipe node` puts a net::gate in front of its CAF
// middleman. CAF listens on no port at all: for each peer the gate admits,
// a socketpair is made, one end handed to CAF's BASP broker as a new
// connection to the published node actor (the broker answers with its
// server handshake), the other end relayed to the peer by the gate.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <caf/fwd.hpp>

#include "base/expected.hpp"
#include "net/gate.hpp"

namespace edgepipe::cli {

// Opens the gate on opts.host:opts.port, serving `whom` (with the message
// signatures `sigs`) to every admitted peer; logs refusals on stderr as
// "edgepipe node NAME: refused PEER: why" (`name` may change once the port
// is known: it is read at each message). Not started yet.
expected<std::unique_ptr<net::gate>> open_node_gate(caf::actor_system& sys,
                                                    const caf::strong_actor_ptr& whom,
                                                    std::set<std::string> sigs,
                                                    net::gate_options opts,
                                                    std::shared_ptr<std::string> name);

} // namespace edgepipe::cli
