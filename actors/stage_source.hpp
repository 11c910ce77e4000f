// stage_source: what a node needs to know about a stage_spec's model before
// it loads anything: where the weights come from, and whether the stage's
// weights fit in the node's memory. CAF-free (the node actor calls it).
#pragma once

#include <cstdint>

#include "actors/specs.hpp"
#include "base/expected.hpp"
#include "ops/layer_profiler.hpp"

namespace edgepipe::actors {

// Where the weights of spec's model come from: its directory, a named
// synthetic configuration or explicit sizes (with spec's seed).
expected<ops::model_source> stage_model_source(const stage_spec& spec);

// The node's check before loading: errc::infeasible when the weights of
// spec's layers exceed memory_mb ("stage layers 1..96 needs 1161 MB of f32
// weights, node offers 1000 MB"); memory_mb = 0: no limit.
expected<void> check_stage_fits(const stage_spec& spec, int64_t memory_mb);

} // namespace edgepipe::actors
