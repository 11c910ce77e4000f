// run_inputs: what `edgepipe run` derives from a validated topology before it
// starts anything: the model's configuration, the workload's images cut into
// microbatches, and each stage's placement and outgoing link settings.
#pragma once

#include <string>
#include <vector>

#include "actors/pipeline.hpp"
#include "base/expected.hpp"
#include "config/topology.hpp"
#include "ops/vit_config.hpp"

namespace edgepipe::cli {

// The model's sizes: DIR/config.json or the named synthetic configuration.
expected<ops::vit_config> model_config(const config::model_spec& model);

// The data set (preprocessed like the model was trained), a text data set
// (tokenized with the model's vocab.txt: token ids + attention masks) or
// seeded random inputs, `count` images in microbatches of `microbatch`. Errors: an image
// shape the model does not take, an unreadable data set.
expected<actors::workload> load_workload(const config::topology& topo, const ops::vit_config& cfg);

// A stage as planned: node index (into topo.nodes) and layer range.
struct planned_stage {
  size_t node = 0;
  int first = 1, last = 1;
};

// An even split of `layers` over `nodes` nodes in order (the first layers %
// nodes stages one layer longer).
std::vector<planned_stage> even_split(int layers, size_t nodes);

// The explicit (or even, resolved) partition of the topology.
expected<std::vector<planned_stage>> explicit_partition(const config::topology& topo);

// How the link leaving stage `after_stage` (from node index `from` to node
// index `to`) sends: bits, clipping, granularity, the emulated shaper, and
// whether the planner may adapt its bits (config::settings_for_link).
expected<actors::link_choice> link_choice_for(const config::topology& topo, size_t after_stage,
                                              size_t from, size_t to);

// What every stage of the topology's model runs: directory or synthetic
// name, seed, dtype (layers and threads are set per stage).
actors::stage_spec model_stage_spec(const config::topology& topo);

} // namespace edgepipe::cli
