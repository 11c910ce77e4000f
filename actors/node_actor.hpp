// node actor: one per device process (`edgepipe node`), published on a port.
// It reports the device (name, threads, memory), spawns stage actors for the
// layer ranges it is asked for (loading the weights from its own disk on a
// helper thread, so the node keeps answering), and retires them. Stages of a
// deployer that goes away (its process died) are retired too.
//
// Messages:
//   (info_atom) -> node_info
//   (deploy_atom, stage_spec) -> actor | error      the new stage
//   (retire_atom, actor stage) -> ok_atom
//   (put_atom, string name)    sets the reported name
//   (shutdown_atom)            the node actor quits (the process exits)
#pragma once

#include <caf/fwd.hpp>

#include "actors/specs.hpp"

namespace edgepipe::actors {

caf::actor spawn_node(caf::actor_system& sys, const node_info& info);

} // namespace edgepipe::actors
