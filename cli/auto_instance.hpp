// auto_instance: the planner's view of a topology for `partition: auto`
// (CAF-free, so tests build it without nodes): per-layer sizes and weights
// from the model's descriptor, each node's memory and per-layer times
// (measured, or estimated from FLOPs and threads), each link's rate and bits.
//
// Units: the topology's Mbit/s is 10^6 bit/s (as everywhere in edgepipe);
// the planner reads Mbit as 2^20 bit (PipeEdge's files, planner/README.md),
// so rates are converted here, at the boundary.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/topology.hpp"
#include "ops/layer_descriptor.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::cli {

// A link without a limit (loopback): planner Mbit/s, far above any real link.
constexpr double unlimited_planner_mbps = 1e5;

// 10^6 bit/s -> the planner's 2^20 bit/s, and back.
double to_planner_mbps(double mbps);
double from_planner_mbps(double planner_mbps);

// What a node reports (0: take the topology's value).
struct node_resources {
  int threads = 0;
  int64_t memory_mb = 0;
};

// `layer_times[n]`: measured seconds per planner layer on node n for one
// microbatch; a missing or wrongly sized entry is estimated from FLOPs.
expected<planner::instance> auto_instance(const config::topology& topo,
                                          const ops::model_descriptor& model,
                                          const std::vector<node_resources>& nodes, int microbatch,
                                          const std::vector<std::vector<double>>& layer_times);

// The error when the planner finds no plan: what the model needs, what the
// nodes offer in all, the largest layer, and by how much it falls short.
error no_plan_error(const planner::instance& inst, const ops::model_descriptor& model,
                    const error& planner_error);

} // namespace edgepipe::cli
