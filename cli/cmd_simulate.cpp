// edgepipe simulate: a discrete-event run of a plan (the optimal one, or one
// given with --stages) with link speeds that follow a trace.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/profile_cli.hpp"
#include "config/profiles_io.hpp"
#include "planner/cost_model.hpp"
#include "planner/partition.hpp"
#include "planner/simulator.hpp"

namespace edgepipe::cli {

namespace {

struct trace_row {
  double time_s;
  std::string from, to; // "*" matches any host
  double mbps;
};

// CSV lines "time_s,from,to,mbps" ('#' comments, an optional header line).
expected<std::vector<trace_row>> read_trace(const std::string& path) {
  auto text = config::read_text(path);
  if (!text) return text.error();
  std::vector<trace_row> rows;
  std::istringstream in(*text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line.erase(std::remove_if(line.begin(), line.end(), ::isspace), line.end());
    if (line.empty() || line.rfind("time_s", 0) == 0) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    char* end1 = nullptr;
    char* end2 = nullptr;
    double t = f.size() == 4 ? std::strtod(f[0].c_str(), &end1) : 0;
    double bw = f.size() == 4 ? std::strtod(f[3].c_str(), &end2) : 0;
    if (f.size() != 4 || *end1 || *end2 || f[0].empty() || f[3].empty() || t < 0 || bw < 0)
      return make_error(errc::invalid_input, path + ":" + std::to_string(n) +
                                                 ": expected time_s,from,to,mbps with numbers "
                                                 ">= 0 ('*' for any host)");
    rows.push_back({t, f[1], f[2], bw});
  }
  return rows;
}

// "--stages mb-0:1-24,rcc-0:25-48"
expected<std::vector<planner::stage>> parse_stages(const planner::instance& inst,
                                                   const std::string& text) {
  std::vector<planner::stage> stages;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    auto colon = item.rfind(':');
    auto dash = item.rfind('-');
    if (colon == std::string::npos || dash == std::string::npos || dash < colon)
      return make_error(errc::invalid_argument, "--stages: '" + item + "' is not HOST:FIRST-LAST");
    planner::stage s;
    s.device = -1;
    for (int d = 0; d < inst.num_devices(); ++d)
      if (inst.devices[d].host == item.substr(0, colon)) s.device = d;
    if (s.device < 0)
      return make_error(errc::invalid_argument,
                        "--stages: unknown host '" + item.substr(0, colon) + "'");
    s.first = std::atoi(item.substr(colon + 1, dash - colon - 1).c_str());
    s.last = std::atoi(item.substr(dash + 1).c_str());
    stages.push_back(s);
  }
  return stages;
}

// "--machines s0,s1,s2:2;s3:4:0.6": hosts that share one machine, its
// cores, and optionally the CPU milliseconds per microbatch it spends
// outside the stages' compute (planner::sim_config::machine_overhead_s).
// Stages on hosts not named have a machine of their own.
expected<void> parse_machines(const planner::instance& inst, const planner::plan& p,
                              const std::string& text, planner::sim_config& cfg) {
  std::map<std::string, int> machine_of;
  std::stringstream groups(text);
  for (std::string group; std::getline(groups, group, ';');) {
    const auto bad = make_error(errc::invalid_argument,
                                "--machines: '" + group +
                                    "' is not HOST,HOST,...:CORES[:OVERHEAD_MS] (cores > 0, "
                                    "overhead >= 0)");
    // Split off one or two numbers after the hosts.
    std::vector<std::string> parts;
    std::stringstream fields(group);
    for (std::string f; std::getline(fields, f, ':');) parts.push_back(f);
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) return bad;
    char* end = nullptr;
    const double cores = std::strtod(parts[1].c_str(), &end);
    if (parts[1].empty() || *end || !(cores > 0)) return bad;
    double overhead_ms = 0;
    if (parts.size() == 3) {
      overhead_ms = std::strtod(parts[2].c_str(), &end);
      if (parts[2].empty() || *end || !(overhead_ms >= 0)) return bad;
    }
    const int m = static_cast<int>(cfg.machine_cores.size());
    cfg.machine_cores.push_back(cores);
    cfg.machine_overhead_s.push_back(overhead_ms / 1e3);
    std::stringstream hosts(parts[0]);
    for (std::string h; std::getline(hosts, h, ',');) machine_of[h] = m;
  }
  for (const auto& st : p.stages) {
    const std::string& host = inst.devices[st.device].host;
    auto it = machine_of.find(host);
    if (it != machine_of.end()) {
      cfg.machine.push_back(it->second);
    } else { // alone on a machine of its own, with room for all its threads
      cfg.machine.push_back(static_cast<int>(cfg.machine_cores.size()));
      cfg.machine_cores.push_back(1e9);
      cfg.machine_overhead_s.push_back(0);
    }
  }
  return {};
}

int run_simulate(int argc, char** argv) {
  args a("simulate", "Simulate a pipeline plan (discrete events): per-stage compute, links\n"
                     "whose speed follows a trace, credit window K. Prints a summary; writes\n"
                     "the timeline (throughput and latency per finished microbatch).");
  add_profile_options(a);
  a.option("stages", "LIST", "the plan as HOST:FIRST-LAST,... (default: the optimal plan)");
  a.option("stage-compute-s", "LIST",
           "per-stage compute seconds, comma-separated, instead of the profile's sums");
  a.option("trace", "CSV", "link speeds over time: time_s,from,to,mbps ('*' = any host)");
  a.option("credits", "K", "microbatches in flight per link", false, "2");
  a.option("handoff", "N", "results a sender may hold beyond K (edgepipe run's actors: 2)", false,
           "0");
  a.option("microbatches", "M", "microbatches to run", false, "100");
  a.option("machines", "LIST",
           "hosts that share a machine's cores: HOST,HOST,...:CORES[:OVERHEAD_MS][;...]\n"
           "(e.g. local nodes); OVERHEAD_MS: the machine's CPU per microbatch outside\n"
           "the stages' compute (messaging, codecs, source and sink)");
  a.option("stage-threads", "LIST", "per-stage compute threads, comma-separated (default 1)");
  a.option("window", "N", "timeline throughput over the last N completions", false, "10");
  a.option("csv", "FILE", "write the timeline as CSV");
  a.option("json", "FILE", "write summary and timeline as JSON");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  planner::instance inst;
  if (int rc = read_profile_instance(a, inst); rc >= 0) return rc;
  int64_t credits = 0, microbatches = 0, window = 0, handoff = 0;
  if (!a.get_int("credits", credits, 1, 1 << 20) ||
      !a.get_int("microbatches", microbatches, 1, 1 << 24) ||
      !a.get_int("window", window, 1, 1 << 20) || !a.get_int("handoff", handoff, 0, 1 << 20))
    return exit_usage;

  planner::plan p;
  if (a.has("stages")) {
    auto stages = parse_stages(inst, a.get("stages"));
    if (!stages) return a.usage_error(stages.error().message);
    auto ev = planner::evaluate(inst, *stages);
    if (!ev) return a.usage_error(ev.error().message);
    p = *ev;
  } else {
    auto best = planner::optimal_partition(inst);
    if (!best) return a.usage_error(best.error().message);
    p = best->best;
  }
  planner::sim_config cfg =
      planner::sim_config_for(inst, p, static_cast<int>(credits), static_cast<int>(microbatches));
  cfg.handoff = static_cast<int>(handoff);
  if (a.has("stage-compute-s")) {
    // Measured stage times (e.g. the nodes' own) replace the profile's sums.
    std::vector<double> times;
    std::stringstream ss(a.get("stage-compute-s"));
    for (std::string item; std::getline(ss, item, ',');) {
      char* end = nullptr;
      double t = std::strtod(item.c_str(), &end);
      if (item.empty() || *end || !(t >= 0))
        return a.usage_error("--stage-compute-s: '" + item + "' is not a number >= 0");
      times.push_back(t);
    }
    if (times.size() != cfg.compute_s.size())
      return a.usage_error("--stage-compute-s: " + std::to_string(times.size()) + " values for " +
                           std::to_string(cfg.compute_s.size()) + " stages");
    cfg.compute_s = times;
  }
  if (a.has("machines")) {
    if (auto ok = parse_machines(inst, p, a.get("machines"), cfg); !ok)
      return a.usage_error(ok.error().message);
  }
  if (a.has("stage-threads")) {
    std::stringstream ss(a.get("stage-threads"));
    for (std::string item; std::getline(ss, item, ',');)
      cfg.threads.push_back(std::atoi(item.c_str()));
    if (cfg.threads.size() != cfg.compute_s.size())
      return a.usage_error("--stage-threads: " + std::to_string(cfg.threads.size()) +
                           " values for " + std::to_string(cfg.compute_s.size()) + " stages");
  }
  if (a.has("trace")) {
    auto rows = read_trace(a.get("trace"));
    if (!rows) return a.usage_error(rows.error().message);
    for (size_t k = 0; k + 1 < p.stages.size(); ++k) {
      const std::string& from = inst.devices[p.stages[k].device].host;
      const std::string& to = inst.devices[p.stages[k + 1].device].host;
      for (const auto& r : *rows)
        if ((r.from == "*" || r.from == from) && (r.to == "*" || r.to == to))
          cfg.links[k].trace_mbps.push_back({r.time_s, r.mbps});
      std::stable_sort(cfg.links[k].trace_mbps.begin(), cfg.links[k].trace_mbps.end(),
                       [](auto& x, auto& y) { return x.first < y.first; });
    }
  }
  auto r = planner::simulate_with_overhead(cfg);
  if (!r) {
    std::cerr << "edgepipe simulate: " << r.error().message << "\n";
    return r.error().code == errc::internal ? exit_failure : exit_usage;
  }
  auto tl = planner::timeline(*r, static_cast<int>(window));
  std::printf("plan: %s\n", planner::describe(inst, p).c_str());
  std::printf("planned period %.6f s (%.4f microbatches/s)\n", p.period_s, planner::throughput(p));
  std::printf("simulated: %lld microbatches in %.3f s, steady throughput %.4f microbatches/s "
              "(%.4f samples/s), mean latency %.4f s\n",
              static_cast<long long>(microbatches), r->makespan_s, r->throughput,
              r->throughput * static_cast<double>(inst.options.batch_size), r->mean_latency_s);
  if (a.has("csv")) {
    std::ofstream f(a.get("csv"));
    f << "time_s,microbatch,latency_s,throughput_per_s\n";
    for (const auto& s : tl)
      f << s.time_s << "," << s.microbatch << "," << s.latency_s << "," << s.throughput << "\n";
    if (!f) return a.usage_error("cannot write " + a.get("csv"));
  }
  if (a.has("json")) {
    nlohmann::json j;
    j["planned_period_s"] = p.period_s;
    j["stage_compute_s"] = cfg.compute_s;
    j["stage_wall_s"] = r->stage_wall_s;
    j["throughput_per_s"] = r->throughput;
    j["mean_latency_s"] = r->mean_latency_s;
    j["makespan_s"] = r->makespan_s;
    j["timeline"] = nlohmann::json::array();
    for (const auto& s : tl)
      j["timeline"].push_back({{"time_s", s.time_s},
                               {"microbatch", s.microbatch},
                               {"latency_s", s.latency_s},
                               {"throughput_per_s", s.throughput}});
    std::ofstream f(a.get("json"));
    f << j.dump(1) << "\n";
    if (!f) return a.usage_error("cannot write " + a.get("json"));
  }
  return exit_ok;
}

const command_registrar registrar({"simulate", "simulate a pipeline plan with link traces",
                                   run_simulate});

} // namespace

} // namespace edgepipe::cli
