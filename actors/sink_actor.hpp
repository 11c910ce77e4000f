// sink actor: the end of the pipeline, in the run process. A thin shell around
// runtime::sink_reorder and runtime::run_tally: it acknowledges and credits
// every frame at once, decodes the logits, drops results of a replaced plan
// and duplicates, delivers each microbatch once and in order, tells the
// source what it has (so it leaves the replay buffer), and tells the planner
// how long each switch of plan interrupted the deliveries.
#pragma once

#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace edgepipe::actors {

struct sink_config {
  uint64_t requests = 0;
  int microbatch = 1;
  std::vector<int> labels; // by image, may be empty
  // Samples in each microbatch (empty: not checked): an answer of another
  // shape is refused and replayed, never booked over other images.
  std::vector<int64_t> rows;
  bool keep_outputs = false;
  uint64_t epoch = 1;
};

// `planner` may be invalid (no switch reports, no finish message).
sink_actor spawn_sink(caf::actor_system& sys, sink_config cfg, planner_actor planner);

// The source is created after the sink (it needs the sink's handle).
void set_sink_source(const sink_actor& sink, const source_actor& source);

} // namespace edgepipe::actors
