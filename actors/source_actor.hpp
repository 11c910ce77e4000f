// source actor: the head of the pipeline, in the run process. A thin shell
// around runtime::source_window: it hands microbatches to the encoder of
// link 0 (at most two it has not taken), keeps every one the sink has not
// answered, and sends them again through the new first stage when the
// planner switches epochs, or when a stage reports it could not compute one
// (up to `max_attempts`; then it is given up and the sink steps over it).
#pragma once

#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::actors {

struct source_config {
  std::shared_ptr<const std::vector<ops::tensor>> batches; // microbatch i = batches[i]
  // BERT: the attention mask [B, S] of microbatch i, sent beside its token ids
  // (ops/activation.hpp); null or empty for image models.
  std::shared_ptr<const std::vector<ops::tensor>> masks;
  int max_outstanding = 16; // microbatches between source and sink at once
  int max_attempts = 3;     // computations of one microbatch before it is given up
  uint64_t epoch = 1;
};

source_actor spawn_source(caf::actor_system& sys, source_config cfg, encoder_actor encoder,
                          sink_actor sink);

} // namespace edgepipe::actors
