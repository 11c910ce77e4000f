#include "runtime/bit_controller.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace edgepipe::runtime {

namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

// "8 bits", "float32": for the reasons given with a change.
std::string bits_name(int bits) {
  return bits == 0 ? std::string("float32") : std::to_string(bits) + " bits";
}

std::string link_error(size_t link, const std::string& what) {
  return "bit controller: link " + std::to_string(link) + ": " + what;
}

} // namespace

std::vector<uint64_t> frame_bytes_by_bits(const std::vector<std::vector<int64_t>>& tensors,
                                          codecs::granularity gran) {
  std::vector<uint64_t> bytes(max_frame_bits + 1, 0);
  for (int b = 0; b <= max_frame_bits; ++b) {
    codecs::quant_params p;
    p.bits = b;
    p.gran = b == 0 ? codecs::granularity::tensor : gran; // raw frames carry no scales
    for (const auto& shape : tensors) bytes[size_t(b)] += codecs::frame_size(shape, p);
  }
  return bytes;
}

expected<bit_controller> bit_controller::create(std::vector<link_bits_config> links,
                                                controller_options options) {
  std::vector<link_state> states;
  for (size_t i = 0; i < links.size(); ++i) {
    link_state s;
    s.cfg = std::move(links[i]);
    const link_bits_config& c = s.cfg;
    s.bits = c.bits;
    if (!c.adaptive) {
      if (c.bits < 0 || c.bits > max_frame_bits)
        return make_error(errc::invalid_argument,
                          link_error(i, "bits " + std::to_string(c.bits) + " outside 0..16"));
      states.push_back(std::move(s));
      continue;
    }
    if (c.min_bits < 1 || c.min_bits > max_frame_bits)
      return make_error(errc::invalid_argument,
                        link_error(i, "min_bits " + std::to_string(c.min_bits) + " outside 1..16"));
    if (c.max_bits < 0 || c.max_bits > max_frame_bits ||
        (c.max_bits != 0 && c.max_bits < c.min_bits))
      return make_error(errc::invalid_argument,
                        link_error(i, "max_bits " + std::to_string(c.max_bits) +
                                          " outside min_bits..16 (or 0 for float32)"));
    int top = c.max_bits == 0 ? max_frame_bits : c.max_bits;
    for (int b = c.min_bits; b <= top; ++b) s.ladder.push_back(b);
    if (c.max_bits == 0) s.ladder.push_back(0); // float32: the largest frame
    if (std::find(s.ladder.begin(), s.ladder.end(), c.bits) == s.ladder.end())
      return make_error(errc::invalid_argument, link_error(i, "bits " + std::to_string(c.bits) +
                                                                  " outside min_bits..max_bits"));
    if (c.frame_bytes.size() != size_t(max_frame_bits + 1))
      return make_error(errc::invalid_argument,
                        link_error(i, "frame_bytes has " + std::to_string(c.frame_bytes.size()) +
                                          " entries, want 17 (bits 0..16)"));
    for (size_t k = 0; k < s.ladder.size(); ++k) {
      uint64_t here = c.frame_bytes[size_t(s.ladder[k])];
      if (here == 0)
        return make_error(errc::invalid_argument,
                          link_error(i, "frame_bytes[" + std::to_string(s.ladder[k]) + "] is 0"));
      if (k > 0 && here < c.frame_bytes[size_t(s.ladder[k - 1])])
        return make_error(errc::invalid_argument,
                          link_error(i, "frame_bytes shrinks from " +
                                            std::to_string(s.ladder[k - 1]) + " to " +
                                            std::to_string(s.ladder[k]) + " bits"));
    }
    s.probe_interval_ns = options.probe_interval_ns;
    states.push_back(std::move(s));
  }
  return bit_controller(std::move(states), options);
}

bit_controller::bit_controller(std::vector<link_state> links, controller_options options)
    : links_(std::move(links)), opt_(options) {}

std::vector<int> bit_controller::all_bits() const {
  std::vector<int> out;
  for (const link_state& s : links_) out.push_back(s.bits);
  return out;
}

std::vector<link_bits_view> bit_controller::view() const {
  std::vector<link_bits_view> out;
  for (size_t i = 0; i < links_.size(); ++i) {
    const link_state& s = links_[i];
    out.push_back(link_bits_view{int(i), s.bits, s.cfg.adaptive, s.last.mbps, s.last.lower_bound,
                                 s.last.confidence, s.probing});
  }
  return out;
}

std::vector<bit_change> bit_controller::update(int64_t now_ns, double target_period_s,
                                               const std::vector<link_estimate>& estimates) {
  std::vector<bit_change> out;
  for (size_t i = 0; i < links_.size() && i < estimates.size(); ++i) {
    link_state& s = links_[i];
    s.last = estimates[i];
    if (!s.cfg.adaptive || target_period_s <= 0) continue;
    decide(int(i), s, now_ns, target_period_s, out);
  }
  return out;
}

void bit_controller::decide(int index, link_state& s, int64_t now_ns, double period_s,
                            std::vector<bit_change>& out) {
  if (!s.probe_clock_started) { // the first probe comes one interval after the first look
    s.probe_clock_started = true;
    s.next_probe_ns = now_ns + s.probe_interval_ns;
  }
  const link_estimate& e = s.last;
  if (e.mbps <= 0) return;

  auto seconds_at = [&](int b) {
    return double(s.cfg.frame_bytes[size_t(b)]) * 8 / (e.mbps * 1e6);
  };
  // The largest bitwidth whose frame crosses within `limit` seconds (the
  // smallest one if none does). Frame sizes grow along the ladder.
  auto largest_within = [&](double limit) {
    int best = s.ladder.front();
    for (int b : s.ladder)
      if (seconds_at(b) <= limit) best = b;
    return best;
  };
  auto position = [&](int b) {
    return int(std::find(s.ladder.begin(), s.ladder.end(), b) - s.ladder.begin());
  };
  auto change = [&](int to, std::string reason) {
    out.push_back(bit_change{index, s.bits, to, std::move(reason)});
    s.bits = to;
    s.last_change_ns = now_ns;
    s.changed_once = true;
  };

  const int cur = s.bits;
  const bool sure = !e.lower_bound && e.confidence >= opt_.min_confidence;
  const bool held = !s.changed_once || now_ns - s.last_change_ns >= opt_.hold_ns;

  // Lower: only a saturated, confident reading proves the link cannot carry
  // the current frames. Not held back: a link that cannot keep up backs the
  // whole pipeline up, every period counts.
  if (sure && seconds_at(cur) > period_s * (1 + opt_.tolerance)) {
    int to = largest_within(period_s);
    // A probe that fails, or a level a recent probe reached that gives way
    // soon after: back to where the probe started if that still fits (the
    // reading that ended the probe is no reason to go lower), and back off.
    const bool probe_failed =
        s.probing || (s.probed_once && now_ns - s.probe_started_ns < 2 * s.probe_interval_ns &&
                      position(cur) > position(s.probe_from_bits));
    if (probe_failed && position(s.probe_from_bits) > position(to) &&
        seconds_at(s.probe_from_bits) <= period_s * (1 + opt_.tolerance))
      to = s.probe_from_bits;
    if (to == cur) return; // already at min_bits
    std::string why =
        format("saturated at %.1f Mbit/s: ", e.mbps) + bits_name(cur) +
        format(" take %.2f ms > period %.2f ms", seconds_at(cur) * 1e3, period_s * 1e3);
    if (probe_failed) {
      s.probing = false;
      s.probe_interval_ns = std::min(2 * s.probe_interval_ns, opt_.probe_max_interval_ns);
      s.probe_step = 1;
      why = "probe failed, " + why + format("; next probe in %.1f s", s.probe_interval_ns / 1e9);
    }
    s.next_probe_ns = now_ns + s.probe_interval_ns;
    change(to, std::move(why));
    return;
  }

  // A probe that held long enough succeeded: the next one may come at
  // the base interval and take a bigger step.
  if (s.probing && now_ns - s.probe_started_ns >= opt_.probe_watch_ns &&
      e.samples >= s.probe_started_samples + uint64_t(std::max(0, opt_.probe_watch_samples))) {
    s.probing = false;
    s.probe_interval_ns = opt_.probe_interval_ns;
    s.probe_step = std::min(2 * s.probe_step, max_frame_bits + 1);
  }
  if (!held) return;

  // Raise on proof: saturated or lower bound, the link carries at least
  // e.mbps, so a bitwidth that fits with headroom at that rate fits.
  int proven = largest_within(period_s / (1 + opt_.headroom));
  if (position(proven) > position(cur)) {
    s.probing = false;
    s.probe_interval_ns = opt_.probe_interval_ns;
    s.next_probe_ns = now_ns + s.probe_interval_ns;
    std::string prefix = e.lower_bound ? "at least" : "estimate";
    change(proven, prefix + format(" %.1f Mbit/s: ", e.mbps) + bits_name(proven) +
                       format(" fit in period %.2f ms with headroom", period_s * 1e3));
    return;
  }

  // Probe: nothing proves more fits, but nothing proves it does not either
  // (the link is idle, or its saturated reading is old).
  const int top = int(s.ladder.size()) - 1;
  if (!sure && !s.probing && position(cur) < top && now_ns >= s.next_probe_ns) {
    int to = s.ladder[size_t(std::min(position(cur) + s.probe_step, top))];
    s.probing = true;
    s.probed_once = true;
    s.probe_from_bits = cur;
    s.probe_started_ns = now_ns;
    s.probe_started_samples = e.samples;
    s.next_probe_ns = now_ns + std::max(s.probe_interval_ns, opt_.probe_watch_ns);
    change(to, format("probe up: link idle, at least %.1f Mbit/s", e.mbps) +
                   (e.lower_bound ? "" : " (old reading)"));
  }
}

} // namespace edgepipe::runtime
