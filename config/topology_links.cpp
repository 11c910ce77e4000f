// The per-link parts of a topology: emulated bandwidth (unlimited, a fixed
// rate, a trace inline or from CSV) and quantization (fixed bits or adaptive).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "config/link_rates.hpp"
#include "config/text_file.hpp"
#include "config/topology_yaml.hpp"
#include "config/yaml_guard.hpp"

namespace edgepipe::config::topology_yaml {

const std::vector<std::string> bandwidth_keys = {"rate_mbps",      "trace",    "trace_file",
                                                 "repeat_every_s", "burst_kb", "latency_ms"};
const std::vector<std::string> quant_keys = {"bits", "min_bits", "max_bits", "clip", "granularity"};
const std::vector<std::string> selector_keys = {"after_stage", "from", "to"};

namespace {

struct located_point {
  rate_point point;
  source_pos time_pos;
  source_pos rate_pos;
};

void fail_at(const source_pos& at, const std::string& what) {
  throw topology_error(at.str() + ": " + what);
}

std::string number_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

// A trace must say what the rate is from time 0 on, move forward in time,
// and never leave the link down for good (a frame would wait forever).
void check_trace(const std::vector<located_point>& points, const source_pos& trace_pos,
                 double repeat_every_s) {
  if (points.empty()) fail_at(trace_pos, "expected a trace with at least one point");
  if (points[0].point.time_s != 0)
    fail_at(points[0].time_pos, "a trace must start at time 0 (it gives the rate from the "
                                "start), got time " +
                                    number_text(points[0].point.time_s));
  bool any_positive = false;
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].point.mbps < 0)
      fail_at(points[i].rate_pos,
              "expected a rate >= 0 Mbit/s, got " + number_text(points[i].point.mbps));
    if (points[i].point.mbps > 0 && points[i].point.mbps < min_rate_mbps)
      fail_at(points[i].rate_pos,
              "expected 0 (an outage) or a rate >= " + number_text(min_rate_mbps) +
                  " Mbit/s (1 kbit/s), got " + number_text(points[i].point.mbps));
    if (i > 0 && points[i].point.time_s <= points[i - 1].point.time_s)
      fail_at(points[i].time_pos,
              "trace times must increase: " + number_text(points[i].point.time_s) +
                  " s comes after " + number_text(points[i - 1].point.time_s) + " s");
    any_positive = any_positive || points[i].point.mbps > 0;
  }
  const located_point& last = points.back();
  if (repeat_every_s > 0) {
    if (repeat_every_s <= last.point.time_s)
      fail_at(trace_pos, "repeat_every_s (" + number_text(repeat_every_s) +
                             ") must be after the trace's last time (" +
                             number_text(last.point.time_s) + " s)");
    if (!any_positive) fail_at(trace_pos, "expected at least one rate > 0 in a repeating trace");
  } else if (last.point.mbps == 0) {
    fail_at(last.rate_pos, "the last rate of a trace holds forever: expected it > 0 (or set "
                           "repeat_every_s)");
  }
}

// trace: [[0, 100], [10, 20]] or [{time_s: 0, mbps: 100}, ...]
std::vector<located_point> read_inline_trace(const document& doc, const YAML::Node& trace) {
  if (!trace.IsSequence())
    doc.fail(trace, "trace: expected a list of [time_s, mbps] points, got " + describe(trace));
  std::vector<located_point> points;
  for (const YAML::Node& item : trace) {
    YAML::Node time, rate;
    if (item.IsSequence()) {
      if (item.size() != 2)
        doc.fail(item, "trace point: expected [time_s, mbps], got a list of " +
                           std::to_string(item.size()));
      time = item[0];
      rate = item[1];
    } else if (item.IsMap()) {
      map_reader point(doc, item, "trace point", {"time_s", "mbps"});
      time = point.require("time_s");
      rate = point.require("mbps");
    } else {
      doc.fail(item, "trace point: expected [time_s, mbps], got " + describe(item));
    }
    located_point p;
    p.point.time_s = read_number(doc, time, "trace time_s", 0);
    p.rate_pos = doc.pos(rate);
    p.time_pos = doc.pos(time);
    // Negative rates get the trace's own message (with the position) below.
    p.point.mbps = read_number(doc, rate, "trace mbps", -INFINITY);
    points.push_back(p);
  }
  return points;
}

std::vector<located_point> parse_csv(const std::string& text, const std::string& file_name) {
  std::vector<located_point> points;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool first_data_line = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos)
      fail_at({file_name, line_no, int(start) + 1}, "expected 'time_s,mbps', got '" + line + "'");
    std::string fields[2] = {line.substr(0, comma), line.substr(comma + 1)};
    int columns[2] = {1, int(comma) + 2};
    double values[2] = {0, 0};
    bool numeric = true;
    for (int f = 0; f < 2; ++f) {
      const std::string& s = fields[f];
      size_t b = s.find_first_not_of(" \t");
      size_t e = s.find_last_not_of(" \t");
      std::string word = b == std::string::npos ? "" : s.substr(b, e - b + 1);
      if (b != std::string::npos) columns[f] += int(b);
      char* end = nullptr;
      values[f] = word.empty() ? 0 : std::strtod(word.c_str(), &end);
      if (word.empty() || *end != '\0' || !std::isfinite(values[f])) {
        if (first_data_line) {
          numeric = false; // a header line such as "time_s,mbps"
          break;
        }
        fail_at({file_name, line_no, columns[f]}, std::string("expected a number (") +
                                                      (f == 0 ? "time_s" : "mbps") + "), got '" +
                                                      word + "'");
      }
    }
    first_data_line = false;
    if (!numeric) continue;
    located_point p;
    p.point = {values[0], values[1]};
    p.time_pos = {file_name, line_no, columns[0]};
    p.rate_pos = {file_name, line_no, columns[1]};
    if (p.point.time_s < 0)
      fail_at(p.time_pos, "expected a time >= 0, got " + number_text(p.point.time_s));
    points.push_back(p);
  }
  return points;
}

std::vector<rate_point> strip(const std::vector<located_point>& points) {
  std::vector<rate_point> out;
  for (const auto& p : points) out.push_back(p.point);
  return out;
}

} // namespace

std::vector<rate_point> read_trace_csv(const std::string& text, const std::string& file_name) {
  return strip(parse_csv(text, file_name));
}

bandwidth_spec read_bandwidth(const document& doc, const map_reader& map,
                              const bandwidth_spec& inherit) {
  bandwidth_spec out;
  out.pos = doc.pos(map.node());
  out.burst_kb = map.number("burst_kb", inherit.burst_kb, 0);
  out.latency_ms = map.number("latency_ms", inherit.latency_ms, 0);

  int sources = int(map.has("rate_mbps")) + int(map.has("trace")) + int(map.has("trace_file"));
  if (sources > 1)
    doc.fail(map.node(),
             "give one of rate_mbps, trace or trace_file in " + map.what() + ", not several");
  if (sources == 0) {
    out.kind = inherit.kind;
    out.mbps = inherit.mbps;
    out.trace = inherit.trace;
    out.repeat = inherit.repeat;
    out.repeat_period_s = inherit.repeat_period_s;
    out.trace_file = inherit.trace_file;
    if (map.has("repeat_every_s"))
      map.fail_at("repeat_every_s", "repeat_every_s applies to a trace; add trace or trace_file");
    return out;
  }

  if (map.has("rate_mbps")) {
    YAML::Node rate = map.get("rate_mbps");
    if (map.has("repeat_every_s"))
      map.fail_at("repeat_every_s", "repeat_every_s applies to a trace, not to rate_mbps");
    if (rate.IsScalar() && rate.Scalar() == "unlimited") {
      out.kind = bandwidth_kind::unlimited;
      return out;
    }
    double mbps = 0;
    if (!rate.IsScalar() || !YAML::convert<double>::decode(rate, mbps) || !std::isfinite(mbps))
      doc.fail(rate, map.what() + ".rate_mbps: expected a rate in Mbit/s > 0 or 'unlimited', got " +
                         describe(rate));
    if (mbps <= 0)
      doc.fail(rate, map.what() + ".rate_mbps: expected a rate in Mbit/s > 0 or 'unlimited', got " +
                         rate.Scalar());
    if (mbps < min_rate_mbps)
      doc.fail(rate, map.what() + ".rate_mbps: expected a rate >= " + number_text(min_rate_mbps) +
                         " Mbit/s (1 kbit/s) or 'unlimited', got " + rate.Scalar());
    out.kind = bandwidth_kind::fixed;
    out.mbps = mbps;
    return out;
  }

  double repeat_every_s = map.number("repeat_every_s", 0, -INFINITY);
  if (map.has("repeat_every_s") && repeat_every_s <= 0)
    map.fail_at("repeat_every_s", map.what() + ".repeat_every_s: expected a period > 0 s, got " +
                                      number_text(repeat_every_s));
  std::vector<located_point> points;
  source_pos trace_pos;
  if (map.has("trace")) {
    YAML::Node trace = map.get("trace");
    trace_pos = doc.pos(trace);
    points = read_inline_trace(doc, trace);
  } else {
    YAML::Node file_node = map.get("trace_file");
    std::string path = doc.resolve(read_string(doc, file_node, map.what() + ".trace_file"));
    // A device or pipe (/dev/zero, /dev/stdin) would block or run to the size limit.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
      doc.fail(file_node, "trace file '" + path + "' is not a regular file; expected a CSV file");
    auto text = read_text(path, trace_file_max_bytes, "trace file");
    if (!text && text.error().code == errc::invalid_input)
      doc.fail(file_node, text.error().message);
    if (!text)
      doc.fail(file_node, "cannot read trace file '" + path +
                              "'; expected a CSV file of "
                              "time_s,mbps lines (relative paths start at the topology's folder)");
    trace_pos = {path, 1, 1};
    points = parse_csv(*text, path);
    if (points.empty()) doc.fail(file_node, "trace file '" + path + "' holds no points");
    out.trace_file = path;
  }
  check_trace(points, trace_pos, repeat_every_s);
  out.kind = bandwidth_kind::trace;
  out.trace = strip(points);
  out.repeat = repeat_every_s > 0;
  out.repeat_period_s = repeat_every_s;
  return out;
}

quant_spec read_quant(const document& doc, const map_reader& map, const quant_spec& inherit) {
  quant_spec out = inherit;
  out.pos = doc.pos(map.node());
  if (map.has("bits")) {
    YAML::Node bits = map.get("bits");
    if (bits.IsScalar() && bits.Scalar() == "adaptive") {
      out.mode = quant_mode::adaptive;
    } else {
      int64_t value = 0;
      if (!bits.IsScalar() || !YAML::convert<int64_t>::decode(bits, value) || value < 0 ||
          value > 16)
        doc.fail(bits, map.what() + ".bits: expected 0 (raw float32), 1..16 or 'adaptive', got " +
                           describe(bits));
      out.mode = quant_mode::fixed;
      out.bits = int(value);
    }
  }
  if (out.mode == quant_mode::fixed) {
    for (const char* key : {"min_bits", "max_bits"})
      if (map.has(key))
        map.fail_at(key, std::string(key) + " applies to 'bits: adaptive', not to fixed bits");
  }
  out.min_bits = int(map.integer("min_bits", inherit.min_bits, 1, 16));
  out.max_bits = int(map.integer("max_bits", inherit.max_bits, 1, 16));
  if (out.mode == quant_mode::adaptive && out.min_bits > out.max_bits)
    map.fail_at(map.has("min_bits") ? "min_bits" : "max_bits",
                "expected min_bits <= max_bits, got " + std::to_string(out.min_bits) + " > " +
                    std::to_string(out.max_bits));

  out.clip = map.string("clip", inherit.clip);
  if (out.clip != "none" && out.clip != "aciq" && out.clip != "ds-aciq" && out.clip != "mse")
    map.fail_at("clip",
                map.what() + ".clip: expected none, aciq, ds-aciq or mse, got '" + out.clip + "'");
  out.granularity = map.string("granularity", inherit.granularity);
  if (out.granularity != "tensor" && out.granularity != "sample")
    map.fail_at("granularity", map.what() + ".granularity: expected tensor or sample, got '" +
                                   out.granularity + "'");
  return out;
}

} // namespace edgepipe::config::topology_yaml
