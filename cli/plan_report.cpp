#include "cli/plan_report.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/auto_instance.hpp"
#include "planner/cost_model.hpp"

namespace edgepipe::cli {

expected<plan_report> explain_plan(const planner::instance& inst,
                                   const std::vector<planner::stage>& stages) {
  auto evaluated = planner::evaluate(inst, stages);
  if (!evaluated) return evaluated.error();
  plan_report out;
  out.period_ms = evaluated->period_s * 1e3;
  const auto& ev = evaluated->stages;
  double slowest = -1;
  for (size_t i = 0; i < ev.size(); ++i) {
    const planner::stage& s = ev[i];
    stage_report r;
    r.node = inst.devices[s.device].host;
    r.first = s.first;
    r.last = s.last;
    r.compute_ms = s.compute_s * 1e3;
    r.send_ms = s.send_s * 1e3;
    if (i + 1 < ev.size()) {
      const int next = ev[i + 1].device;
      r.bits = planner::link_bits(inst, s.device, next);
      const double rate = planner::link_mbps(inst, s.device, next);
      r.link_mbps = rate >= unlimited_planner_mbps ? 0 : from_planner_mbps(rate);
    }
    for (int l = s.first; l <= s.last; ++l) r.weights_mb += inst.mem_mb[l - 1];
    r.memory_mb = s.memory_mb;
    const double limit = inst.devices[s.device].mem_mb;
    r.limit_mb = limit >= 1e9 ? 0 : limit; // auto_instance's "no limit"
    if (std::max(r.compute_ms, r.send_ms) > slowest) {
      slowest = std::max(r.compute_ms, r.send_ms);
      out.bottleneck = static_cast<int>(i);
    }
    out.stages.push_back(r);
  }
  return out;
}

std::vector<std::string> report_lines(const plan_report& report) {
  std::vector<std::string> lines;
  char buf[320];
  for (size_t i = 0; i < report.stages.size(); ++i) {
    const stage_report& s = report.stages[i];
    std::string link;
    if (i + 1 == report.stages.size()) {
      link = "(to the sink)";
    } else {
      char l[64];
      const std::string bits = s.bits == 0 ? "fp32" : std::to_string(s.bits) + "-bit";
      if (s.link_mbps > 0)
        std::snprintf(l, sizeof l, "(%s, %.1f Mbit/s)", bits.c_str(), s.link_mbps);
      else
        std::snprintf(l, sizeof l, "(%s, unlimited)", bits.c_str());
      link = l;
    }
    const std::string limit =
        s.limit_mb > 0 ? "of " + std::to_string(static_cast<long long>(s.limit_mb)) + " MB"
                       : "(no limit)";
    std::snprintf(buf, sizeof buf,
                  "stage %zu  %-12s layers %3d..%-3d  compute %8.3f ms  send %8.3f ms %-24s  "
                  "weights %.1f MB (+ %.1f buffers) %s%s",
                  i, s.node.c_str(), s.first, s.last, s.compute_ms, s.send_ms, link.c_str(),
                  s.weights_mb, s.memory_mb - s.weights_mb, limit.c_str(),
                  static_cast<int>(i) == report.bottleneck ? "  <- bottleneck" : "");
    lines.push_back(buf);
  }
  std::snprintf(buf, sizeof buf, "period %.3f ms (est. %.1f microbatches/s)", report.period_ms,
                report.period_ms > 0 ? 1e3 / report.period_ms : 0.0);
  lines.push_back(buf);
  return lines;
}

nlohmann::json report_json(const plan_report& report) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : report.stages)
    stages.push_back({{"node", s.node},
                      {"first", s.first},
                      {"last", s.last},
                      {"compute_ms", s.compute_ms},
                      {"send_ms", s.send_ms},
                      {"bits", s.bits},
                      {"link_mbps", s.link_mbps},
                      {"weights_mb", s.weights_mb},
                      {"memory_mb", s.memory_mb},
                      {"limit_mb", s.limit_mb}});
  return {{"stages", stages}, {"period_ms", report.period_ms}, {"bottleneck", report.bottleneck}};
}

} // namespace edgepipe::cli
