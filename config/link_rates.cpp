#include "config/link_rates.hpp"

#include <cstdio>
#include <limits>

#include "planner/wire_size.hpp"

namespace edgepipe::config {

double sustained_mbps(const bandwidth_spec& b) {
  if (b.kind == bandwidth_kind::unlimited) return -1;
  if (b.kind == bandwidth_kind::fixed) return b.mbps;
  if (b.trace.empty()) return 0;
  if (!b.repeat) return b.trace.back().mbps;
  double mbit =
      0; // over one period: each step lasts until the next, the last until the period ends
  for (size_t i = 0; i < b.trace.size(); ++i) {
    double end = i + 1 < b.trace.size() ? b.trace[i + 1].time_s : b.repeat_period_s;
    mbit += b.trace[i].mbps * (end - b.trace[i].time_s);
  }
  return b.repeat_period_s > 0 ? mbit / b.repeat_period_s : 0;
}

expected<void> check_link_rates(const topology& topo, const std::vector<planned_link>& links) {
  const double timeout_s = topo.runtime.request_timeout_s;
  for (const planned_link& l : links) {
    link_settings s = settings_for_link(topo, l.after_stage, l.from, l.to);
    double mbps = sustained_mbps(s.bandwidth);
    if (mbps < 0) continue;
    bool adaptive = s.quant.mode == quant_mode::adaptive;
    int bits = adaptive ? s.quant.max_bits : s.quant.bits;
    int64_t bytes = planner::frame_bytes(l.elements, bits);
    double seconds =
        mbps > 0 ? double(bytes) * 8 / (mbps * 1e6) : std::numeric_limits<double>::infinity();
    if (seconds <= timeout_s) continue;
    double needed_mbps = double(bytes) * 8 / (timeout_s * 1e6);
    std::string bits_text = bits == 0 ? "32-bit float" : std::to_string(bits) + " bits";
    std::string where = s.bandwidth.pos.file.empty() ? topo.file : s.bandwidth.pos.str();
    char text[512];
    std::snprintf(text, sizeof text,
                  ": link %s -> %s (after stage %d): at %g Mbit/s%s a frame of %lld bytes "
                  "(%lld values at %s%s) takes %.3g s, longer than runtime.request_timeout_s "
                  "(%g s); expected at least %.3g Mbit/s, or fewer bits, a smaller microbatch "
                  "or a longer request_timeout_s",
                  l.from.c_str(), l.to.c_str(), l.after_stage, mbps,
                  s.bandwidth.kind == bandwidth_kind::trace ? " (the trace's lasting rate)" : "",
                  static_cast<long long>(bytes), static_cast<long long>(l.elements),
                  bits_text.c_str(), adaptive ? ", where an adaptive link starts" : "", seconds,
                  timeout_s, needed_mbps);
    return make_error(errc::invalid_input, where + text);
  }
  return {};
}

} // namespace edgepipe::config
