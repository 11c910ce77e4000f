// node actor: one per device process (`edgepipe node`), published on a port.
// It reports the device (name, threads, memory), spawns stage actors for the
// layer ranges it is asked for (loading the weights from its own disk on a
// helper thread, so the node keeps answering), and retires them. Stages of a
// deployer that goes away (its process died) are retired too. A stage whose
// weights exceed the node's memory_mb is refused (errc::infeasible) before
// anything is loaded. It serves model directories only inside its model roots
// (actors/model_roots.hpp); a node without roots serves synthetic models
// only, and a refusal tells the peer nothing about the path. The typed interface is
// actors::node_actor (actors/interfaces.hpp).
#pragma once

#include <caf/fwd.hpp>

#include <vector>

#include "actors/interfaces.hpp"
#include "actors/model_roots.hpp"
#include "actors/specs.hpp"
#include "base/expected.hpp"

namespace edgepipe::actors {

node_actor spawn_node(caf::actor_system& sys, const node_info& info, model_roots roots = {});

// The measurement behind profile_request, blocking the caller: seconds per
// planner layer of spec's model at `microbatch` (ops::profile_layers: one
// block's weights loaded at a time, median of 3 after a warm-up).
expected<std::vector<double>> profile_layers(const stage_spec& spec, int microbatch);

} // namespace edgepipe::actors
