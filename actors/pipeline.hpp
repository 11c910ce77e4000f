// pipeline: what an application (or `edgepipe run`) needs to run a live
// pipeline on edgepipe nodes:
//   1. connect_nodes(sys, addresses)            -> the nodes' handles and reports
//   2. fill a pipeline_config (model, plan, links, workload, planner options)
//   3. spawn_planner(sys, config), then send it run_request{progress}: it
//      deploys the plan, runs the workload, adapts bits and re-partitions,
//      re-plans over the alive nodes when a node is lost (and takes it back
//      when it rejoins), and answers with a run_outcome; `progress` gets a
//      run_progress about every 250 ms. A run that cannot go on (no plan
//      fits the alive nodes, stop_run, a stall) still answers a run_outcome:
//      its `failure` says why, `unanswered` lists what was not answered.
//      An error answers only a run that could not start.
// run_pipeline() does 3 for a caller that may block (main, tests, benches).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/control_messages.hpp"
#include "actors/interfaces.hpp"
#include "actors/specs.hpp"
#include "base/expected.hpp"
#include "ops/tensor.hpp"
#include "runtime/plan.hpp"

namespace edgepipe::runtime {
class timeline;
}

namespace edgepipe::actors {

struct node_address {
  std::string name; // as the topology calls it (a node reports its own name too)
  std::string host;
  uint16_t port = 0;
};

struct connected_node {
  node_address address;
  node_actor actor;
  node_info info;
};

// Connects to every node and asks each for its node_info. A node that is
// not listening yet is retried until `timeout`. Blocks the calling thread:
// call it from main, not from an actor.
expected<std::vector<connected_node>> connect_nodes(caf::actor_system& sys,
                                                    const std::vector<node_address>& nodes,
                                                    std::chrono::milliseconds timeout);

// Asks every node to time each planner layer of `model` on a microbatch,
// one node after the other so they do not disturb each other's measurement:
// a profile is the device's speed with a core per thread. Nodes that will
// share a machine's cores in the run are modelled by the simulator
// (cli/shared_machines.hpp), not measured into each other's times (tried:
// profiled all at once, three nodes on two cores measured 3.3-7.7 ms for
// the same 8 layers from run to run, by which two the kernel paired).
// Each layer is timed sustained (ops/layer_profiler.hpp), so load from
// outside the pipeline is in the times. Result: seconds per layer, by node.
// Blocks.
expected<std::vector<std::vector<double>>> profile_nodes(caf::actor_system& sys,
                                                         const std::vector<connected_node>& nodes,
                                                         const stage_spec& model, int microbatch,
                                                         std::chrono::milliseconds timeout);

// How the link after a stage sends, for a pair of nodes.
struct link_choice {
  link_spec out;         // bits (the start value), clip, granularity, shaper
  bool adaptive = false; // the planner may change the bits
  int min_bits = 2, max_bits = 16;
};

struct workload {
  std::vector<ops::tensor> batches; // microbatch i: images [B, C, H, W] (BERT: token ids [B, S])
  std::vector<ops::tensor> masks;   // BERT: microbatch i's attention mask [B, S]; else empty
  std::vector<int> labels;          // per image, may be empty
  int microbatch = 1;
};

struct planner_options {
  bool replan = false;            // re-partition while running
  double margin = 0.1;            // switch only if the new period is this much better
  double hysteresis = 0.15;       // bit controller headroom
  double target_images_per_s = 0; // 0: the rate the slowest stage computes at
  double min_interval_s = 5;      // between two switches
  double switch_cost_s = 0.5;     // assumed pause of a switch, amortized
};

struct pipeline_config {
  std::vector<connected_node> nodes;
  stage_spec model;             // model_dir/synthetic/dims, seed, dtype; layers set per stage
  std::vector<int32_t> threads; // per node: compute threads of its stages (0: the node's own)
  runtime::plan plan;           // the first plan (epoch 1); bits are filled from `links`
  std::function<link_choice(size_t after_stage, size_t from_node, size_t to_node)> links;
  workload work;
  planner_options planner;
  // Baseline seconds per planner layer, by node (profiles), for re-planning;
  // and per layer: weights MB and output elements per sample.
  std::vector<std::vector<double>> layer_seconds;
  std::vector<double> layer_weights_mb;
  std::vector<int64_t> layer_output_elements;
  int64_t input_elements = 0;

  int window = 2;          // credits per link (K)
  int max_outstanding = 0; // source to sink; 0: K per link + 2 per stage, summed
  int max_attempts = 3;    // computations of one microbatch before it is given up
  bool keep_outputs = false;
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds deploy_timeout{600000};
  std::chrono::milliseconds stall_timeout{120000}; // no delivery this long: stop
  std::chrono::milliseconds run_timeout{0};        // 0: no limit
  std::shared_ptr<runtime::timeline> timeline;     // may be null
  // A lost node is tried again this often (a node restarted on its address,
  // or a stopped one resumed, rejoins). With replan_on_rejoin, a rejoin
  // deploys the plan the run wants over the alive nodes: the first plan
  // once all its nodes are back (with planner.replan: the re-planner's best
  // plan); without, the rejoined node only stands by.
  std::chrono::milliseconds rejoin_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{3000}; // the middleman's, to name a loss's cause
  bool replan_on_rejoin = true;
};

planner_actor spawn_planner(caf::actor_system& sys, pipeline_config cfg);

// Spawns the planner, runs, and waits for the outcome; `progress` is called
// with each run_progress. Blocks: call it from main, not from an actor.
// `started`, if set, gets the planner's handle first (to send it stop_run).
expected<run_outcome> run_pipeline(caf::actor_system& sys, pipeline_config cfg,
                                   std::function<void(const run_progress&)> progress = {},
                                   std::function<void(const planner_actor&)> started = {});

} // namespace edgepipe::actors
