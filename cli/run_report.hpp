// run_report: what `edgepipe run` prints: the live progress line (answered,
// rate over the last seconds, latency, the plan's epoch and bits), and the
// final report, as text and as one JSON object (--json), including every
// plan change with its reason and the pause it caused.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline.hpp"
#include "config/topology.hpp"

namespace edgepipe::cli {

// On a terminal the line redraws itself; into a file or pipe it is printed
// about every 5 s and at the end.
void print_progress(const actors::run_progress& p, bool final_line);

// "node-a [1..8] -> node-b [9..24]" with the topology's node names.
std::string plan_text(const runtime::plan& p, const config::topology& topo);
// "8,4" or "fp32" per link between stages.
std::string bits_text(const std::vector<int32_t>& bits);

// Per stage of the run's last plan: the sum of its node's profiled layer
// times (ms per microbatch), from the nodes' profiles by node index; empty
// when the nodes were not profiled.
std::vector<double> stage_profile_ms(const actors::run_outcome& o,
                                     const std::vector<std::vector<double>>& layer_seconds);

// stage_profile_ms: as above, or empty (then not shown).
void print_outcome(const actors::run_outcome& o, const config::topology& topo,
                   const std::string& partition_method,
                   const std::vector<double>& stage_profile_ms = {});
nlohmann::json outcome_json(const actors::run_outcome& o, const config::topology& topo,
                            const std::string& partition_method, int microbatch,
                            int64_t images_requested,
                            const std::vector<double>& stage_profile_ms = {});

} // namespace edgepipe::cli
