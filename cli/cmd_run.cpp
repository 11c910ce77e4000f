// edgepipe run: deploys a topology's pipeline and runs its workload.
//   1. load and validate the topology, the model's configuration and the
//      workload (nothing is started when any of it is wrong);
//   2. start the nodes marked start_locally (child processes);
//   3. connect to every node, plan (explicit, even, or auto), deploy, wire
//      adjacent stages directly, run with a progress line on stderr;
//   4. print throughput, latency percentiles and accuracy (--json: one JSON
//      object on the last line), stop the local nodes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "cli/args.hpp"
#include "cli/auto_plan.hpp"
#include "cli/command.hpp"
#include "cli/local_nodes.hpp"
#include "cli/run_inputs.hpp"
#include "config/topology.hpp"

namespace edgepipe::cli {

namespace {

std::chrono::milliseconds seconds_to_ms(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(s * 1000)));
}

int fail(const std::string& what, const edgepipe::error& err) {
  std::fprintf(stderr, "edgepipe run: %s%s\n", what.c_str(), err.message.c_str());
  bool usage = err.code == errc::invalid_input || err.code == errc::invalid_argument ||
               err.code == errc::not_found || err.code == errc::infeasible;
  return usage ? exit_usage : exit_failure;
}

// On a terminal the line redraws itself; into a file or pipe it is printed
// about every 5 s and at the end.
void print_progress(const actors::run_summary& s, bool final_line) {
  static const bool tty = isatty(STDERR_FILENO);
  static auto last = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  if (!tty && !final_line && now - last < std::chrono::seconds(5)) return;
  last = now;
  std::fprintf(
      stderr, "%s[edgepipe run] %llu/%llu microbatches  %.1f images/s  p50 %.1f ms  pending %llu%s",
      tty ? "\r" : "", static_cast<unsigned long long>(s.answered),
      static_cast<unsigned long long>(s.requests), s.images_per_s, s.latency_p50_ms,
      static_cast<unsigned long long>(s.requests - s.answered), final_line || !tty ? "\n" : "   ");
  std::fflush(stderr);
}

int run_run(int argc, char** argv) {
  args a("run", "Deploy a topology's pipeline on its nodes and run its workload.");
  a.positional("TOPOLOGY.yaml", "the deployment (see docs/topology.md)");
  a.flag("json", "print a JSON summary as the last line of output");
  a.flag("quiet", "no progress line");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;
  bool json = a.flag_set("json");
  const std::string path = a.positionals()[0];

  // 1. Everything that can be wrong in the files, before anything starts.
  auto topo = config::load_and_validate(path);
  if (!topo) return fail("", topo.error());
  auto mcfg = model_config(topo->model);
  if (!mcfg) return fail("model: ", mcfg.error());
  auto work = load_workload(*topo, *mcfg);
  if (!work) return fail("workload: ", work.error());
  std::vector<planned_stage> plan;
  if (!topo->partition.automatic) {
    auto p = explicit_partition(*topo);
    if (!p) return fail("", p.error());
    plan = *p;
  }
  const auto& rt = topo->runtime;

  // 2. Local nodes.
  local_node_group local;
  std::vector<actors::node_address> addresses;
  for (const auto& n : topo->nodes) {
    actors::node_address addr{n.name, n.host, static_cast<uint16_t>(n.port)};
    if (n.start_locally) {
      local_node_request req{n.name, n.host, n.port, n.threads, n.memory_mb};
      auto started = local.start(req, seconds_to_ms(rt.connect_timeout_s));
      if (!started) return fail("", started.error());
      addr.port = started->port;
    }
    addresses.push_back(addr);
  }

  // 3. Connect, plan, deploy, run.
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
  cfg.set("middleman.heartbeat-interval", caf::timespan{seconds_to_ms(rt.heartbeat_interval_s)});
  cfg.set("middleman.connection-timeout", caf::timespan{seconds_to_ms(rt.heartbeat_timeout_s)});
  caf::actor_system sys{cfg};
  auto nodes = actors::connect_nodes(sys, addresses, seconds_to_ms(rt.connect_timeout_s));
  if (!nodes) return fail("", nodes.error());
  std::string plan_method = topo->partition.even ? "even" : "explicit";
  if (topo->partition.automatic) {
    // Each node times the model's layers on its own hardware first.
    actors::stage_spec model;
    model.model_dir = topo->model.is_synthetic() ? "" : topo->model.dir;
    model.synthetic = topo->model.synthetic;
    model.seed = topo->model.seed;
    model.dtype = topo->model.dtype;
    std::fprintf(stderr, "[edgepipe run] profiling %zu nodes for the planner\n", nodes->size());
    auto times = actors::profile_nodes(
        sys, *nodes, model, work->microbatch,
        std::max(std::chrono::milliseconds(600000), seconds_to_ms(rt.request_timeout_s)));
    if (!times) return fail("", times.error());
    auto p = auto_partition(*topo, *mcfg, *nodes, static_cast<int>(work->microbatch), *times);
    if (!p) return fail("planner: ", p.error());
    plan = p->stages;
    plan_method = p->method;
  }
  auto placements = make_placements(*topo, plan);
  if (!placements) return fail("", placements.error());

  actors::run_options opts;
  opts.request_timeout = seconds_to_ms(rt.request_timeout_s);
  opts.run_timeout = seconds_to_ms(rt.run_timeout_s);
  opts.window = topo->workload.window;
  // No arrival for this long ends the run and counts the rest as lost (a
  // microbatch a stage could not compute never arrives).
  opts.stall_timeout = std::max(std::chrono::milliseconds(120000), 4 * opts.request_timeout);
  bool progress = !a.flag_set("quiet");
  if (progress) opts.progress = [](const actors::run_summary& s) { print_progress(s, false); };
  std::fprintf(stderr, "[edgepipe run] %s: %zu stages (%s partition), %zu microbatches of %d\n",
               topo->name.c_str(), placements->size(), plan_method.c_str(), work->batches.size(),
               work->microbatch);
  auto result = actors::run_pipeline(sys, *nodes, *placements, *work, opts);
  if (progress && result) print_progress(result->summary, true);
  if (!result) return fail("", result.error());

  // 4. Report.
  const auto& s = result->summary;
  std::printf("pipeline  %s\n", topo->name.c_str());
  for (size_t i = 0; i < placements->size(); ++i) {
    const auto& p = (*placements)[i];
    int bits = i < result->bits_out.size() ? result->bits_out[i] : p.out.bits;
    double compute = i < result->stage_compute_ms.size() ? result->stage_compute_ms[i] : 0;
    // Link i + 1 leaves stage i; the monitor's estimate of it.
    double mbps = i + 1 < result->link_mbps.size() ? result->link_mbps[i + 1] : 0;
    std::printf("  stage %zu  %-12s layers %3d..%-3d  compute %8.2f ms/microbatch  out %-6s  link "
                "%8.1f Mbit/s "
                "measured\n",
                i, topo->nodes[p.node].name.c_str(), p.spec.first, p.spec.last, compute,
                bits == 0 ? "fp32" : (std::to_string(bits) + "-bit").c_str(), mbps);
  }
  std::printf("requests  %llu microbatches (%llu images answered), answered %llu, lost %llu, "
              "duplicates %llu\n",
              static_cast<unsigned long long>(s.requests),
              static_cast<unsigned long long>(s.images),
              static_cast<unsigned long long>(s.answered), static_cast<unsigned long long>(s.lost),
              static_cast<unsigned long long>(s.duplicates));
  std::printf("throughput %.1f images/s over %.2f s\n", s.images_per_s, s.elapsed_s);
  std::printf("latency   p50 %.2f ms, p99 %.2f ms (per microbatch)\n", s.latency_p50_ms,
              s.latency_p99_ms);
  if (s.accuracy >= 0)
    std::printf("accuracy  %.4f (%llu/%llu)\n", s.accuracy,
                static_cast<unsigned long long>(s.correct),
                static_cast<unsigned long long>(s.labeled));
  else
    std::printf("accuracy  n/a (no labels)\n");
  if (json) {
    nlohmann::json j;
    j["requests"] = s.requests;
    j["answered"] = s.answered;
    j["lost"] = s.lost;
    j["duplicates"] = s.duplicates;
    j["out_of_order"] = s.out_of_order;
    j["images"] = s.images; // answered
    int64_t images_requested = 0;
    for (const auto& b : work->batches) images_requested += b.shape[0];
    j["images_requested"] = images_requested;
    j["microbatch"] = work->microbatch;
    j["accuracy"] = s.accuracy >= 0 ? nlohmann::json(s.accuracy) : nlohmann::json(nullptr);
    j["images_per_s"] = s.images_per_s;
    j["latency_ms"] = {{"p50", s.latency_p50_ms}, {"p99", s.latency_p99_ms}};
    j["partition"] = plan_method;
    nlohmann::json plan_json = nlohmann::json::array();
    for (size_t i = 0; i < placements->size(); ++i) {
      const auto& p = (*placements)[i];
      int bits = i < result->bits_out.size() ? result->bits_out[i] : p.out.bits;
      plan_json.push_back({{"node", topo->nodes[p.node].name},
                           {"first", p.spec.first},
                           {"last", p.spec.last},
                           {"bits_out", bits}});
    }
    j["plan"] = plan_json;
    nlohmann::json mbps = nlohmann::json::array();
    for (double m : result->link_mbps) mbps.push_back(m);
    j["link_mbps_measured"] = mbps;
    j["stage_compute_ms"] = result->stage_compute_ms;
    std::printf("%s\n", j.dump().c_str());
  }
  std::fflush(stdout);
  local.stop_all();
  return s.lost == 0 ? exit_ok : exit_failure;
}

command_registrar reg{{"run", "deploy a topology's pipeline and run its workload", run_run}};

} // namespace

} // namespace edgepipe::cli
