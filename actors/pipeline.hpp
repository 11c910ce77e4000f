// pipeline: the deployer's side of a run, used by `edgepipe run`, the
// integration tests and the benchmark. It connects to node processes, asks
// them for stages, wires each stage to the next directly, feeds a workload
// through a source and collects it in a sink, then retires the stages.
// Every request has a finite timeout; every node and stage is monitored, so
// a lost peer ends the run with an error instead of a hang.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/sink_actor.hpp"
#include "actors/specs.hpp"
#include "base/expected.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::actors {

struct node_address {
  std::string name; // as the topology calls it (a node reports its own name too)
  std::string host;
  uint16_t port = 0;
};

struct connected_node {
  node_address address;
  caf::actor actor;
  node_info info;
};

// Connects to every node (retrying until `timeout` while nobody listens yet)
// and asks each for its node_info. Blocks the calling thread: call it from
// main, not from an actor.
expected<std::vector<connected_node>> connect_nodes(caf::actor_system& sys,
                                                    const std::vector<node_address>& nodes,
                                                    std::chrono::milliseconds timeout);

// Asks every node to time each planner layer of `model` on a microbatch
// (node_actor's profile_atom), one node after the other so they do not
// disturb each other's measurement. Result: seconds per layer, by node.
expected<std::vector<std::vector<double>>> profile_nodes(caf::actor_system& sys,
                                                         const std::vector<connected_node>& nodes,
                                                         const stage_spec& model, int microbatch,
                                                         std::chrono::milliseconds timeout);

// One stage of the pipeline: which node runs it, what it runs, how its
// outgoing link sends (link id, next host/port are filled in by run_pipeline).
struct stage_placement {
  size_t node = 0; // index into the connected nodes
  stage_spec spec;
  link_spec out;
  bool adaptive = false; // the planner actor may change out.bits at run time
  int min_bits = 2, max_bits = 16;
};

struct workload {
  std::vector<ops::tensor> batches; // microbatch i: images [B, C, H, W]
  std::vector<int> labels;          // per image, may be empty
  int microbatch = 1;
};

struct run_options {
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds deploy_timeout{600000};
  std::chrono::milliseconds run_timeout{0}; // 0: no limit on the whole run
  std::chrono::milliseconds stall_timeout{
      60000};              // no arrival for this long: stop, count the rest lost
  int window = 2;          // credits per link (K)
  int max_in_pipeline = 0; // >0: microbatches between source and sink (closed loop)
  bool keep_outputs = false;
  // Called about every 250 ms while the workload runs (the progress line).
  std::function<void(const run_summary&)> progress;
};

struct run_result {
  run_summary summary;
  std::vector<ops::tensor> outputs; // by microbatch, with keep_outputs
  std::vector<int> predictions;     // by image
  std::vector<int32_t> bits_out;    // each stage's outgoing bits at the end
  std::vector<double> link_mbps;    // measured estimate per link (0 = no sample)
  std::vector<double>
      stage_compute_ms; // per stage: mean worker time per microbatch (decode + layers)
};

// Deploys `stages` on `nodes`, runs `work` and retires the stages (also on
// failure). Errors: a node refuses a stage (bad model/range), a wiring or
// request times out, a node or stage goes down during the run.
expected<run_result> run_pipeline(caf::actor_system& sys, const std::vector<connected_node>& nodes,
                                  std::vector<stage_placement> stages, const workload& work,
                                  const run_options& opts);

} // namespace edgepipe::actors
