#include "cli/run_report.hpp"

#include <chrono>
#include <cstdio>

#include <unistd.h>

namespace edgepipe::cli {

std::string plan_text(const runtime::plan& p, const config::topology& topo) {
  std::string out;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const auto& s = p.stages[i];
    if (i) out += " -> ";
    out += topo.nodes[s.node].name + " [" + std::to_string(s.first) + ".." +
           std::to_string(s.last) + "]";
  }
  return out;
}

std::string bits_text(const std::vector<int32_t>& bits) {
  std::string out;
  // The last link carries the logits to the run process, always fp32.
  for (size_t i = 0; i + 1 < bits.size(); ++i)
    out += (i ? "," : "") + (bits[i] == 0 ? std::string("fp32") : std::to_string(bits[i]));
  return out.empty() ? "-" : out;
}

void print_progress(const actors::run_progress& p, bool final_line) {
  static const bool tty = isatty(STDERR_FILENO);
  static auto last = std::chrono::steady_clock::now();
  auto now = std::chrono::steady_clock::now();
  if (!tty && !final_line && now - last < std::chrono::seconds(5)) return;
  last = now;
  const auto& s = p.summary;
  std::fprintf(stderr,
               "%s[edgepipe run] %llu/%llu microbatches  %.1f images/s (last 3 s)  p50 %.1f ms  "
               "epoch %llu  bits %s%s",
               tty ? "\r" : "", static_cast<unsigned long long>(s.answered),
               static_cast<unsigned long long>(s.requests), s.recent_images_per_s, s.latency_p50_ms,
               static_cast<unsigned long long>(p.epoch), bits_text(p.bits).c_str(),
               final_line || !tty ? "\n" : "   ");
  std::fflush(stderr);
  for (const auto& n : p.notes)
    std::fprintf(stderr, "%s[edgepipe run] %s\n", tty && !final_line ? "\n" : "", n.c_str());
}

namespace {

// What a fault cost: the pause of the plan that repaired it, if measured.
double recovery_pause_ms(const actors::run_outcome& o, const actors::fault_event& f) {
  for (const auto& c : o.plans)
    if (f.recovery_epoch != 0 && c.plan.epoch == f.recovery_epoch) return c.pause_ms;
  return -1;
}

// "12, 13, 14 ... (40 in all)"
std::string seq_list(const std::vector<uint64_t>& seqs, size_t shown = 20) {
  std::string out;
  for (size_t i = 0; i < seqs.size() && i < shown; ++i)
    out += (i ? ", " : "") + std::to_string(seqs[i]);
  if (seqs.size() > shown) out += " ... (" + std::to_string(seqs.size()) + " in all)";
  return out;
}

} // namespace

std::vector<double> stage_profile_ms(const actors::run_outcome& o,
                                     const std::vector<std::vector<double>>& layer_seconds) {
  std::vector<double> out;
  if (layer_seconds.empty() || o.plans.empty()) return out;
  for (const auto& st : o.plans.back().plan.stages) {
    double ms = 0;
    if (st.node >= 0 && static_cast<size_t>(st.node) < layer_seconds.size())
      for (int l = st.first; l <= st.last; ++l)
        if (l >= 1 && static_cast<size_t>(l) <= layer_seconds[st.node].size())
          ms += 1e3 * layer_seconds[st.node][l - 1];
    out.push_back(ms);
  }
  return out;
}

void print_outcome(const actors::run_outcome& o, const config::topology& topo,
                   const std::string& partition_method,
                   const std::vector<double>& stage_profile_ms) {
  const auto& s = o.summary;
  std::printf("pipeline  %s (%s partition)\n", topo.name.c_str(), partition_method.c_str());
  const runtime::plan* last = o.plans.empty() ? nullptr : &o.plans.back().plan;
  for (size_t i = 0; last && i < last->stages.size(); ++i) {
    const auto& st = last->stages[i];
    int bits = i < o.bits_out.size() ? o.bits_out[i] : 0;
    double compute = i < o.stage_compute_ms.size() ? o.stage_compute_ms[i] : 0;
    double mbps = i < o.link_mbps.size() ? o.link_mbps[i] : 0;
    std::printf("  stage %zu  %-12s layers %3d..%-3d  compute %8.2f ms/microbatch", i,
                topo.nodes[st.node].name.c_str(), st.first, st.last, compute);
    if (i < stage_profile_ms.size()) std::printf(" (profiled %.2f)", stage_profile_ms[i]);
    std::printf("  out %-6s  link %8.1f Mbit/s measured\n",
                bits == 0 ? "fp32" : (std::to_string(bits) + "-bit").c_str(), mbps);
  }
  for (const auto& f : o.faults) {
    std::printf("fault     at %.2f s: node '%s' lost (%s)", f.t_s, f.node.c_str(), f.cause.c_str());
    if (f.recovery_epoch) {
      std::printf("; recovered by epoch %llu", static_cast<unsigned long long>(f.recovery_epoch));
      double pause = recovery_pause_ms(o, f);
      if (pause >= 0) std::printf(", output interrupted %.1f ms", pause);
    } else {
      std::printf("; not recovered");
    }
    if (f.rejoined_t_s >= 0) std::printf("; rejoined at %.2f s", f.rejoined_t_s);
    std::printf("\n");
  }
  for (const auto& c : o.plans) {
    std::printf("plan      epoch %llu at %.2f s: %s  (%s)",
                static_cast<unsigned long long>(c.plan.epoch), c.t_s,
                plan_text(c.plan, topo).c_str(), c.reason.c_str());
    if (c.pause_ms >= 0) std::printf("  pause %.1f ms", c.pause_ms);
    std::printf("\n");
  }
  std::printf(
      "requests  %llu microbatches (%llu images answered), answered %llu, lost %llu, "
      "duplicates dropped %llu, stale dropped %llu, replayed %llu\n",
      static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.images),
      static_cast<unsigned long long>(s.answered), static_cast<unsigned long long>(s.lost),
      static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.stale),
      static_cast<unsigned long long>(s.replayed));
  std::printf("throughput %.1f images/s over %.2f s\n", s.images_per_s, s.elapsed_s);
  std::printf("latency   p50 %.2f ms, p99 %.2f ms (per microbatch)\n", s.latency_p50_ms,
              s.latency_p99_ms);
  if (s.accuracy >= 0)
    std::printf("accuracy  %.4f (%llu/%llu)\n", s.accuracy,
                static_cast<unsigned long long>(s.correct),
                static_cast<unsigned long long>(s.labeled));
  else
    std::printf("accuracy  n/a (no labels)\n");
  if (!o.given_up.empty())
    std::printf("given up  %s (no stage could compute them)\n", seq_list(o.given_up).c_str());
  if (!o.failure.empty()) {
    std::printf("FAILED    %s\n", o.failure.c_str());
    std::printf("unanswered %zu microbatches: %s\n", o.unanswered.size(),
                seq_list(o.unanswered).c_str());
  }
}

nlohmann::json outcome_json(const actors::run_outcome& o, const config::topology& topo,
                            const std::string& partition_method, int microbatch,
                            int64_t images_requested, const std::vector<double>& stage_profile_ms) {
  const auto& s = o.summary;
  nlohmann::json j;
  j["requests"] = s.requests;
  j["answered"] = s.answered;
  j["lost"] = s.lost;
  j["duplicates"] = s.duplicates;
  j["stale_dropped"] = s.stale;
  j["replayed"] = s.replayed;
  j["images"] = s.images;
  j["images_requested"] = images_requested;
  j["microbatch"] = microbatch;
  j["accuracy"] = s.accuracy >= 0 ? nlohmann::json(s.accuracy) : nlohmann::json(nullptr);
  j["images_per_s"] = s.images_per_s;
  j["elapsed_s"] = s.elapsed_s;
  j["latency_ms"] = {{"p50", s.latency_p50_ms}, {"p99", s.latency_p99_ms}};
  j["partition"] = partition_method;
  nlohmann::json plan = nlohmann::json::array();
  const runtime::plan* last = o.plans.empty() ? nullptr : &o.plans.back().plan;
  for (size_t i = 0; last && i < last->stages.size(); ++i)
    plan.push_back({{"node", topo.nodes[last->stages[i].node].name},
                    {"first", last->stages[i].first},
                    {"last", last->stages[i].last},
                    {"bits_out", i < o.bits_out.size() ? o.bits_out[i] : 0}});
  j["plan"] = plan;
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : o.plans) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : c.plan.stages)
      stages.push_back(
          {{"node", topo.nodes[st.node].name}, {"first", st.first}, {"last", st.last}});
    changes.push_back(
        {{"t", c.t_s},
         {"epoch", c.plan.epoch},
         {"reason", c.reason},
         {"stages", stages},
         {"bits", c.plan.bits},
         {"pause_ms", c.pause_ms >= 0 ? nlohmann::json(c.pause_ms) : nlohmann::json(nullptr)}});
  }
  j["plan_changes"] = changes;
  j["link_mbps_measured"] = o.link_mbps;
  j["stage_compute_ms"] = o.stage_compute_ms;
  j["stage_profile_ms"] =
      stage_profile_ms.empty() ? nlohmann::json(nullptr) : nlohmann::json(stage_profile_ms);
  j["given_up"] = o.given_up;
  j["failure"] = o.failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.failure);
  j["unanswered"] = o.unanswered;
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : o.faults) {
    double pause = recovery_pause_ms(o, f);
    faults.push_back(
        {{"t", f.t_s},
         {"node", f.node},
         {"cause", f.cause},
         {"recovery_epoch", f.recovery_epoch ? nlohmann::json(f.recovery_epoch) : nlohmann::json()},
         {"interruption_ms", pause >= 0 ? nlohmann::json(pause) : nlohmann::json()},
         {"rejoined_t", f.rejoined_t_s >= 0 ? nlohmann::json(f.rejoined_t_s) : nlohmann::json()}});
  }
  j["faults"] = faults;
  return j;
}

} // namespace edgepipe::cli
