// node actor: one per device process (`edgepipe node`), published on a port.
// It reports the device (name, threads, memory), spawns stage actors for the
// layer ranges it is asked for (loading the weights from its own disk on a
// helper thread, so the node keeps answering), and retires them. Stages of a
// deployer that goes away (its process died) are retired too.
//
// Messages:
//   (info_atom) -> node_info
//   (deploy_atom, stage_spec) -> actor | error      the new stage; refused
//       (errc::infeasible) when its weights exceed the node's memory_mb
//   (retire_atom, actor stage) -> ok_atom
//   (profile_atom, stage_spec, int32 microbatch) -> std::vector<double>
//       seconds per planner layer on this node (ops::profile_layers: one
//       block's weights loaded at a time, median of 3 after a warm-up)
//   (put_atom, string name)    sets the reported name
//   (shutdown_atom)            the node actor quits (the process exits)
#pragma once

#include <caf/fwd.hpp>

#include <vector>

#include "actors/specs.hpp"
#include "base/expected.hpp"

namespace edgepipe::actors {

caf::actor spawn_node(caf::actor_system& sys, const node_info& info);

// The measurement behind profile_atom, blocking the caller.
expected<std::vector<double>> profile_layers(const stage_spec& spec, int microbatch);

} // namespace edgepipe::actors
