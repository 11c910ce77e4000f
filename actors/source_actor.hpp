// source actor: feeds the pipeline's microbatches, in order, to the encoder
// of the first link (which holds the credit window K toward stage 0). It
// hands over a batch only while the encoder holds fewer than two untaken
// ones, so the inputs wait here, not in a mailbox.
//
// With `max_in_pipeline` > 0 it also keeps at most that many microbatches
// between itself and the sink (closed loop: the sink sends it
// (credit_atom, uint32, uint64 seq) per arrival); the benchmark uses 1 to
// time one frame alone through the pipeline.
//
// Messages: (start_atom) begins feeding; (taken_atom) from the encoder;
// (credit_atom, uint32, uint64) from the sink.
#pragma once

#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "ops/tensor.hpp"

namespace edgepipe::actors {

class run_record;

// batches[i] is microbatch i ([B, C, H, W] images). The source stamps each
// with its hand-off time and tells `record` when it starts.
caf::actor spawn_source(caf::actor_system& sys, const caf::actor& encoder,
                        std::shared_ptr<const std::vector<ops::tensor>> batches,
                        std::shared_ptr<run_record> record, int max_in_pipeline = 0);

} // namespace edgepipe::actors
