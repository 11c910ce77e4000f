// edgepipe run: deploys a topology's pipeline and runs its workload, live.
//   1. load and validate the topology, the model's configuration and the
//      workload (nothing is started when any of it is wrong);
//   2. start the nodes marked start_locally (child processes);
//   3. connect to every node; plan (explicit, even, or auto from the nodes'
//      measured layer times) and explain the plan per stage (--dry-run
//      stops here);
//   4. run: the planner actor deploys the plan, adapts each adaptive link's
//      bits to its measured bandwidth and, with `planner: {replan: true}`,
//      re-partitions while the workload flows; a progress line shows the
//      epoch and bits; --timeline / --plot record what happened;
//   5. print throughput, latency, accuracy and every plan change (--json:
//      one JSON object on the last line), stop the local nodes.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "actors/register_types.hpp"
#include "actors/transport.hpp"
#include "cli/args.hpp"
#include "cli/auto_instance.hpp"
#include "cli/auto_plan.hpp"
#include "cli/command.hpp"
#include "cli/gate_options.hpp"
#include "cli/local_nodes.hpp"
#include "cli/plan_report.hpp"
#include "cli/run_inputs.hpp"
#include "cli/run_report.hpp"
#include "cli/stop_signals.hpp"
#include "config/link_rates.hpp"
#include "config/thread_warnings.hpp"
#include "ops/layer_descriptor.hpp"
#include "runtime/timeline.hpp"
#include "runtime/timeline_svg.hpp"

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

// Ctrl-C (SIGINT) or SIGTERM. During the run the first one asks the
// planner to stop: it retires every stage it deployed and reports what was
// answered (exit code 130). Before the run, or at a second signal, the
// local nodes are stopped at once and the program exits with 130.
struct interrupt_control {
  std::mutex mutex;
  std::optional<actors::planner_actor> planner;
  std::vector<pid_t> local_pids;
  std::atomic<int> signal{0};

  void stop_nodes_and_exit() {
    std::lock_guard<std::mutex> lock(mutex);
    for (pid_t pid : local_pids) kill(pid, SIGTERM);
    std::fprintf(stderr, "\nedgepipe run: interrupted; local nodes stopped\n");
    std::_Exit(exit_interrupted);
  }

  static constexpr int exit_interrupted = 130;
};

void watch_interrupts(interrupt_control& ctl, sigset_t signals) {
  std::thread([&ctl, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    ctl.signal = sig;
    {
      std::lock_guard<std::mutex> lock(ctl.mutex);
      if (ctl.planner) {
        std::fprintf(stderr, "\nedgepipe run: %s: stopping the run (again to quit at once)\n",
                     sig == SIGINT ? "interrupted" : "terminated");
        caf::anon_send(*ctl.planner, actors::stop_run{sig == SIGINT ? "interrupted (SIGINT)"
                                                                    : "terminated (SIGTERM)"});
      }
    }
    if (ctl.planner) sigwait(&signals, &sig);
    ctl.stop_nodes_and_exit();
  }).detach();
}

actors::planner_options planner_options_of(const config::planner_spec& p) {
  actors::planner_options o;
  o.replan = p.replan;
  o.margin = p.margin;
  o.hysteresis = p.hysteresis;
  o.target_images_per_s = p.target_images_per_s;
  o.min_interval_s = p.min_interval_s;
  o.switch_cost_s = p.switch_cost_s;
  return o;
}

// Every link of the plan must let its frame cross within request_timeout_s
// at its emulated rate (a link at 1e-6 Mbit/s would hold a frame for days).
expected<void> check_plan_links(const config::topology& topo, const ops::model_descriptor& desc,
                                const std::vector<planned_stage>& plan, int microbatch) {
  std::vector<config::planned_link> links;
  for (size_t k = 0; k + 1 < plan.size(); ++k)
    links.push_back({static_cast<int>(k), topo.nodes[plan[k].node].name,
                     topo.nodes[plan[k + 1].node].name,
                     desc.layers().at(plan[k].last - 1).output_elements() * microbatch});
  return config::check_link_rates(topo, links);
}

int run_run(int argc, char** argv) {
  args a("run", "Deploy a topology's pipeline on its nodes and run its workload; the planner\n"
                "adapts bits and (with planner: {replan: true}) the partition while it runs,\n"
                "and re-plans over the alive nodes when one is lost (it rejoins when back).\n"
                "Ctrl-C retires every stage and reports what was answered (exit code 130).\n"
                "Exit codes: 0 all answered, 1 a run that stopped early or lost requests,\n"
                "2 a bad topology or command line.");
  a.positional("TOPOLOGY.yaml", "the deployment (see docs/topology.md)");
  a.flag("json", "print a JSON summary as the last line of output");
  a.flag("quiet", "no progress line");
  a.flag("dry-run", "connect, plan and explain the plan per stage; run nothing");
  a.flag("profile", "profile the nodes first even when the plan does not need it (one at a\n"
                    "time) and report each stage's profiled time beside its measured one");
  a.option("timeline", "FILE.jsonl",
           "write the run's timeline, one JSON object a line (docs/timeline.md)");
  a.option("plot", "FILE.svg", "draw bandwidth, bits, throughput and plan changes against time");
  a.option("predictions", "FILE",
           "write each image's predicted class, one a line in workload order (-1: not answered)");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;
  bool json = a.flag_set("json");
  const std::string path = a.positionals()[0];

  // Signals go to one watching thread (blocked in every other thread,
  // CAF's included, which inherit this mask).
  static interrupt_control interrupts;
  watch_interrupts(interrupts, block_stop_signals());

  // 1. Everything that can be wrong in the files, before anything starts.
  auto topo = config::load_and_validate(path);
  if (!topo) return fail("", topo.error());
  auto mcfg = model_config(topo->model);
  if (!mcfg) return fail("model: ", mcfg.error());
  const ops::model_descriptor desc = ops::model_descriptor::vit(*mcfg);
  auto work = load_workload(*topo, *mcfg);
  if (!work) return fail("workload: ", work.error());
  std::vector<planned_stage> plan;
  if (!topo->partition.automatic) {
    auto p = explicit_partition(*topo);
    if (!p) return fail("", p.error());
    plan = *p;
    if (auto rates = check_plan_links(*topo, desc, plan, work->microbatch); !rates)
      return fail("", rates.error());
  }
  if (auto tls = check_topology_tls(*topo); !tls) return fail("", tls.error());
  for (const std::string& w : config::local_thread_warnings(*topo, config::cores_here()))
    std::fprintf(stderr, "edgepipe run: warning: %s\n", w.c_str());
  const auto& rt = topo->runtime;

  // 2. Local nodes.
  local_node_group local;
  std::vector<actors::node_address> addresses;
  for (const auto& n : topo->nodes) {
    actors::node_address addr{n.name, n.host, static_cast<uint16_t>(n.port)};
    if (n.start_locally) {
      local_node_request req{n.name,
                             n.host,
                             n.port,
                             n.threads,
                             n.memory_mb,
                             rt.heartbeat_interval_s,
                             rt.heartbeat_timeout_s,
                             {},
                             topo->tls.ca,
                             topo->tls.certificate,
                             topo->tls.key};
      // The node serves the topology's model directory, and nothing else.
      if (!topo->model.is_synthetic()) req.model_roots.push_back(topo->model.dir);
      auto started = local.start(req, seconds_to_ms(rt.connect_timeout_s));
      if (!started) return fail("", started.error());
      addr.port = started->port;
      std::lock_guard<std::mutex> lock(interrupts.mutex);
      interrupts.local_pids.push_back(started->pid);
    }
    addresses.push_back(addr);
  }

  // 3. Connect, profile (auto, or for the re-planner's baseline), plan, explain.
  caf::actor_system_config cfg;
  actors::configure_system(cfg);
  actors::configure_tls(cfg, {topo->tls.ca, topo->tls.certificate, topo->tls.key});
  cfg.set("middleman.heartbeat-interval", caf::timespan{seconds_to_ms(rt.heartbeat_interval_s)});
  cfg.set("middleman.connection-timeout", caf::timespan{seconds_to_ms(rt.heartbeat_timeout_s)});
  caf::actor_system sys{cfg};
  auto nodes = actors::connect_nodes(sys, addresses, seconds_to_ms(rt.connect_timeout_s));
  if (!nodes) return fail("", nodes.error());
  const actors::stage_spec model = model_stage_spec(*topo);
  std::vector<std::vector<double>> times;
  if (topo->partition.automatic || topo->planner.replan || a.flag_set("profile")) {
    std::fprintf(stderr, "[edgepipe run] profiling %zu nodes for the planner\n", nodes->size());
    auto t = actors::profile_nodes(
        sys, *nodes, model, work->microbatch,
        std::max(std::chrono::milliseconds(600000), seconds_to_ms(rt.request_timeout_s)));
    if (!t) return fail("", t.error());
    times = std::move(*t);
  }
  std::string plan_method = topo->partition.even ? "even" : "explicit";
  std::vector<node_resources> resources;
  for (const auto& n : *nodes) resources.push_back({n.info.threads, n.info.memory_mb});
  planner::instance inst;
  if (topo->partition.automatic) {
    auto p = auto_partition(*topo, *mcfg, *nodes, work->microbatch, times);
    if (!p) return fail("planner: ", p.error());
    plan = p->stages;
    plan_method = p->method;
    inst = std::move(p->instance);
    if (auto rates = check_plan_links(*topo, desc, plan, work->microbatch); !rates)
      return fail("", rates.error()); // the local nodes stop with `local`
  } else {
    auto i = auto_instance(*topo, desc, resources, work->microbatch, times);
    if (!i) return fail("planner: ", i.error());
    inst = std::move(*i);
  }
  std::vector<planner::stage> stages;
  for (const auto& s : plan) stages.push_back({static_cast<int>(s.node), s.first, s.last});
  std::fprintf(stderr, "[edgepipe run] %s: %zu stages (%s partition), %zu microbatches of %d\n",
               topo->name.c_str(), plan.size(), plan_method.c_str(), work->batches.size(),
               work->microbatch);
  if (auto rep = explain_plan(inst, stages))
    for (const auto& line : report_lines(*rep))
      std::fprintf(stderr, "[edgepipe run]   %s\n", line.c_str());
  else
    std::fprintf(stderr, "[edgepipe run]   (no per-stage estimate: %s)\n",
                 rep.error().message.c_str());
  // Stage processes on one machine share its cores: say what that costs.
  for (const auto& line : shared_machine_lines(inst, stages, machines_of(*topo, *nodes),
                                               topo->workload.window, work->microbatch))
    std::fprintf(stderr, "[edgepipe run]   %s\n", line.c_str());
  if (a.flag_set("dry-run")) {
    local.stop_all();
    return exit_ok;
  }

  // 4. Run.
  actors::pipeline_config pc;
  pc.nodes = *nodes;
  pc.model = model;
  for (const auto& n : topo->nodes) pc.threads.push_back(n.threads);
  for (const auto& s : plan) pc.plan.stages.push_back({static_cast<int>(s.node), s.first, s.last});
  std::string link_error;
  const config::topology& topology = *topo;
  pc.links = [&topology](size_t after, size_t from, size_t to) {
    auto c = link_choice_for(topology, after, from, to);
    return c ? *c : actors::link_choice{};
  };
  for (size_t k = 0; k + 1 < plan.size(); ++k)
    if (auto c = link_choice_for(*topo, k, plan[k].node, plan[k + 1].node); !c)
      return fail("", c.error());
  pc.work = std::move(*work);
  pc.planner = planner_options_of(topo->planner);
  for (const auto& d : inst.devices) pc.layer_seconds.push_back(d.time_s);
  pc.layer_weights_mb = inst.mem_mb;
  pc.layer_output_elements = inst.parameters_out;
  pc.input_elements = inst.parameters_in;
  pc.window = topo->workload.window;
  pc.request_timeout = seconds_to_ms(rt.request_timeout_s);
  pc.run_timeout = seconds_to_ms(rt.run_timeout_s);
  // No delivery for this long ends the run (a stall the replays cannot cure).
  pc.stall_timeout = std::max(std::chrono::milliseconds(120000), 4 * pc.request_timeout);
  pc.heartbeat_timeout = seconds_to_ms(rt.heartbeat_timeout_s);
  pc.rejoin_interval = seconds_to_ms(rt.rejoin_interval_s);
  pc.replan_on_rejoin = rt.replan_on_rejoin;
  const bool want_timeline = a.has("timeline") || a.has("plot");
  if (want_timeline) {
    pc.timeline = std::make_shared<runtime::timeline>();
    if (a.has("timeline"))
      if (auto ok = pc.timeline->stream_to(a.get("timeline")); !ok)
        return fail("--timeline: ", ok.error());
  }
  int64_t images_requested = 0;
  for (const auto& b : pc.work.batches) images_requested += b.shape[0];
  const int microbatch = pc.work.microbatch;
  auto timeline = pc.timeline;
  bool progress = !a.flag_set("quiet");
  actors::run_progress last_progress;
  auto result = actors::run_pipeline(
      sys, std::move(pc),
      [&](const actors::run_progress& p) {
        last_progress = p;
        if (progress)
          print_progress(p, false);
        else
          for (const auto& n : p.notes) std::fprintf(stderr, "[edgepipe run] %s\n", n.c_str());
      },
      [&](const actors::planner_actor& planner) {
        std::lock_guard<std::mutex> lock(interrupts.mutex);
        interrupts.planner = planner;
      });
  if (progress && result) {
    last_progress.summary = result->summary;
    last_progress.notes.clear();
    print_progress(last_progress, true);
  }
  if (a.has("plot") && timeline) {
    std::ofstream svg(a.get("plot"));
    runtime::svg_options opts;
    opts.title = "edgepipe run " + topo->name;
    svg << runtime::render_svg(timeline->records(), opts);
    if (!svg) std::fprintf(stderr, "edgepipe run: cannot write %s\n", a.get("plot").c_str());
  }
  if (!result) {
    local.stop_all();
    return fail("", result.error());
  }

  // 5. Report. Predictions by image let a benchmark score any stretch of the
  // run (the sink answers in order, the timeline's `answered` says when).
  if (a.has("predictions")) {
    std::ofstream out(a.get("predictions"));
    for (int p : result->predictions) out << p << '\n';
    if (!out) std::fprintf(stderr, "edgepipe run: cannot write %s\n", a.get("predictions").c_str());
  }
  // A run that stopped early reports the same way: what was answered, what
  // was not, and why.
  const std::vector<double> profiled = stage_profile_ms(*result, times);
  print_outcome(*result, *topo, plan_method, profiled);
  if (json)
    std::printf("%s\n",
                outcome_json(*result, *topo, plan_method, microbatch, images_requested, profiled)
                    .dump()
                    .c_str());
  std::fflush(stdout);
  local.stop_all();
  if (!result->failure.empty()) {
    std::fprintf(stderr, "edgepipe run: %s\n", result->failure.c_str());
    if (interrupts.signal != 0) return interrupt_control::exit_interrupted;
    return exit_failure;
  }
  return result->summary.lost == 0 ? exit_ok : exit_failure;
}

command_registrar reg{{"run", "deploy a topology's pipeline and run its workload", run_run}};

} // namespace

} // namespace edgepipe::cli
