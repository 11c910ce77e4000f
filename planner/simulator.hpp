// simulator: a discrete-event simulation of a pipeline plan, to predict what
// a real run measures when links change speed over time.
//
// Model (the actors' design, DESIGN.md): each stage is one compute server
// (FIFO, a fixed time per microbatch); each link is one FIFO transmitter whose
// speed follows a piecewise-constant trace. Compute and send overlap. Credit
// flow control: a stage takes a credit for its outgoing link when it starts a
// microbatch and the credit comes back when the next stage starts that
// microbatch, so at most K microbatches are between two stages. The source
// keeps K microbatches ahead of stage 1 and the sink takes results at once.
//
// Shared cores: stages may run on one machine (several stage processes on a
// host, as in every local example). Its busy stages then share its cores
// (processor sharing, what passive OpenMP waiting and the kernel's fair
// scheduler give): while the busy stages want more cores than the machine
// has, each computes at cores / (threads wanted) of its own speed.
#pragma once

#include <utility>
#include <vector>

#include "base/expected.hpp"
#include "planner/plan.hpp"

namespace edgepipe::planner {

struct sim_link {
  double bytes = 0; // per microbatch, on the wire (frame at the link's bitwidth)
  // (from time s, Mbit/s with Mbit = 2^20 bit), sorted by time; the first
  // value also holds before its time. Must not be empty.
  std::vector<std::pair<double, double>> trace_mbps;
};

struct sim_config {
  std::vector<double> compute_s; // per stage
  std::vector<sim_link> links;   // stage k -> k+1, one fewer than stages
  int credits = 2;               // K
  // Microbatches a sender may hold beyond its K credits: edgepipe's actors let
  // a stage (and the source) hand up to 2 finished results to the link's
  // encoder, which sends them as credits allow (actors/README.md, Credits),
  // so 2 models `edgepipe run`. 0 is the plain credit model above.
  int handoff = 0;
  int microbatches = 100;
  // Shared cores (see the top): stage k runs on machine[k] with
  // machine_cores[machine[k]] cores and uses threads[k] of them at most.
  // Empty machine: every stage has a machine of its own (no sharing); empty
  // threads: 1 per stage.
  std::vector<int> machine;
  std::vector<double> machine_cores;
  std::vector<int> threads;
  // CPU seconds per microbatch that each machine spends outside the stages'
  // compute: every process's messaging and codecs, the client's source and
  // sink. It runs beside the stages and takes cores from them, as much as the
  // pipeline's rate makes it need: with R microbatches/s the stages keep
  // cores - overhead * R. Empty: none. See simulate_with_overhead.
  std::vector<double> machine_overhead_s;
};

struct sim_result {
  std::vector<double> issued_s;   // per microbatch: when the source released it
  std::vector<double> finished_s; // when the last stage finished it
  double makespan_s = 0;
  double throughput = 0;     // microbatches/s over the second half of the run (steady state)
  double mean_latency_s = 0; // over all microbatches
  // Per stage: the mean wall time from the start to the end of a
  // microbatch's compute, slower than compute_s while it shares cores.
  std::vector<double> stage_wall_s;
};

// Ignores machine_overhead_s (see simulate_with_overhead).
expected<sim_result> simulate(const sim_config& config);

// With machine_overhead_s: the rate R at which a simulation whose machines
// keep cores - overhead * R runs at R (a fixed point: a faster pipeline
// needs more overhead, which leaves less for compute), found by bisection.
// Without overhead the same as simulate.
expected<sim_result> simulate_with_overhead(const sim_config& config);

// The configuration for a plan with constant link speeds from the cost model.
sim_config sim_config_for(const instance& inst, const plan& p, int credits, int microbatches);

// Throughput and latency over time: one sample per finished microbatch with
// the throughput over the last `window` completions.
struct sim_sample {
  double time_s = 0;
  int microbatch = 0;
  double latency_s = 0;
  double throughput = 0;
};
std::vector<sim_sample> timeline(const sim_result& r, int window = 10);

} // namespace edgepipe::planner
