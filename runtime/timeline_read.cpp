// Reading a timeline back: each line is parsed, its fields type-checked, and
// the record range-checked by the same rules timeline::add applies, so a
// file that reads is a file the plot can draw.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/timeline.hpp"

namespace edgepipe::runtime {

namespace {

using json = nlohmann::json;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The first problem found; later checks do not overwrite it.
struct problems {
  std::string first;
  void fail(std::string what) {
    if (first.empty()) first = std::move(what);
  }
  void finite_at_least(const std::string& name, double v, double min) {
    if (!std::isfinite(v) || v < min)
      fail("field '" + name + "' must be a number >= " + num(min) + ", got " + num(v));
  }
  void int_in(const std::string& name, int64_t v, int64_t min, int64_t max) {
    if (v < min || v > max)
      fail("field '" + name + "' must be in " + std::to_string(min) + ".." + std::to_string(max) +
           ", got " + std::to_string(v));
  }
};

void check(problems& p, const link_record& r) {
  p.int_in("link", r.link, 0, std::numeric_limits<int>::max());
  p.finite_at_least("mbps", r.mbps, 0);
  if (r.configured_mbps && !(*r.configured_mbps > 0 && std::isfinite(*r.configured_mbps)))
    p.fail("field 'configured_mbps' must be a number > 0, got " + num(*r.configured_mbps));
  p.int_in("bits", r.bits, 0, 16);
  if (r.epoch < 1) p.fail("field 'epoch' must be >= 1");
}

void check(problems& p, const stage_record& r) {
  p.int_in("stage", r.stage, 0, std::numeric_limits<int>::max());
  if (r.node.empty()) p.fail("field 'node' must not be empty");
  if (!(r.busy >= 0 && r.busy <= 1))
    p.fail("field 'busy' must be a fraction in 0..1, got " + num(r.busy));
  p.finite_at_least("ms_per_microbatch", r.ms_per_microbatch, 0);
  if (r.epoch < 1) p.fail("field 'epoch' must be >= 1");
}

void check(problems& p, const throughput_record& r) {
  p.finite_at_least("images_per_s", r.images_per_s, 0);
  if (r.p50_ms) p.finite_at_least("p50_ms", *r.p50_ms, 0);
  if (r.answered < 0) p.fail("field 'answered' must be >= 0");
}

void check(problems& p, const plan_record& r) {
  if (r.epoch < 1) p.fail("field 'epoch' must be >= 1");
  if (r.stages.empty()) p.fail("field 'stages' must not be empty");
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const auto& s = r.stages[i];
    std::string at = "stages[" + std::to_string(i) + "]";
    if (s.node.empty()) p.fail("field '" + at + ".node' must not be empty");
    int expected_first = i == 0 ? 1 : r.stages[i - 1].last + 1;
    if (s.first != expected_first)
      p.fail("field '" + at + ".first' must be " + std::to_string(expected_first) +
             " (stages cover the layers in order), got " + std::to_string(s.first));
    if (s.last < s.first)
      p.fail("field '" + at + ".last' must be >= first (" + std::to_string(s.first) + "), got " +
             std::to_string(s.last));
  }
  if (r.bits.size() != r.stages.size())
    p.fail("field 'bits' must have one entry per stage (" + std::to_string(r.stages.size()) +
           "), got " + std::to_string(r.bits.size()));
  for (size_t i = 0; i < r.bits.size(); ++i)
    p.int_in("bits[" + std::to_string(i) + "]", r.bits[i], 0, 16);
  if (r.pause_ms) p.finite_at_least("pause_ms", *r.pause_ms, 0);
}

void check(problems& p, const note_record& r) {
  if (r.text.empty()) p.fail("field 'text' must not be empty");
}

// Typed access to one line's fields; a missing or mistyped field is recorded
// in `p` and a default returned, so the caller reads straight through.
struct fields {
  const json& j;
  problems& p;
  std::string prefix; // "stages[2]." inside an array element

  const json* find(const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) p.fail("missing field '" + prefix + key + "'");
      return nullptr;
    }
    return &*it;
  }
  void wrong(const char* key, const char* what) {
    p.fail("field '" + prefix + key + "' must be " + what);
  }
  std::optional<double> number(const char* key, bool required = true) {
    const json* v = find(key, required);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      wrong(key, "a number");
      return std::nullopt;
    }
    return v->get<double>();
  }
  int64_t integer(const char* key) {
    const json* v = find(key, true);
    if (!v) return 0;
    if (!v->is_number_integer() || (v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX)) {
      wrong(key, "an integer");
      return 0;
    }
    return v->get<int64_t>();
  }
  int small_int(const char* key) {
    int64_t v = integer(key);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      wrong(key, "an integer of at most 31 bits");
      return 0;
    }
    return static_cast<int>(v);
  }
  uint64_t epoch() {
    const json* v = find("epoch", true);
    if (!v) return 1;
    if (!v->is_number_unsigned()) {
      wrong("epoch", "an integer >= 1");
      return 1;
    }
    return v->get<uint64_t>();
  }
  std::string text(const char* key, bool required = true) {
    const json* v = find(key, required);
    if (!v) return "";
    if (!v->is_string()) {
      wrong(key, "a string");
      return "";
    }
    return v->get<std::string>();
  }
  bool boolean(const char* key) {
    const json* v = find(key, true);
    if (!v) return false;
    if (!v->is_boolean()) wrong(key, "true or false");
    return v->is_boolean() && v->get<bool>();
  }
};

record read_plan(fields& f) {
  plan_record r;
  r.epoch = f.epoch();
  r.reason = f.text("reason");
  if (const json* stages = f.find("stages", true)) {
    if (!stages->is_array()) f.wrong("stages", "an array of {node, first, last}");
    for (size_t i = 0; stages->is_array() && i < stages->size(); ++i) {
      std::string at = "stages[" + std::to_string(i) + "]";
      if (!(*stages)[i].is_object()) {
        f.p.fail("field '" + at + "' must be an object {node, first, last}");
        break;
      }
      fields sf{(*stages)[i], f.p, at + "."};
      plan_record_stage s;
      s.node = sf.text("node");
      s.first = sf.small_int("first");
      s.last = sf.small_int("last");
      r.stages.push_back(s);
    }
  }
  if (const json* bits = f.find("bits", true)) {
    if (!bits->is_array()) f.wrong("bits", "an array of integers");
    for (size_t i = 0; bits->is_array() && i < bits->size(); ++i) {
      if (!(*bits)[i].is_number_integer()) {
        f.p.fail("field 'bits[" + std::to_string(i) + "]' must be an integer");
        break;
      }
      // Clamped into int range; check_record then reports it as out of 0..16.
      int64_t b = (*bits)[i].is_number_unsigned() && (*bits)[i].get<uint64_t>() > INT64_MAX
                      ? INT64_MAX
                      : (*bits)[i].get<int64_t>();
      r.bits.push_back(static_cast<int>(std::clamp<int64_t>(b, std::numeric_limits<int>::min(),
                                                            std::numeric_limits<int>::max())));
    }
  }
  r.pause_ms = f.number("pause_ms", false);
  return r;
}

// The record of one parsed line, or the first problem in `p`.
record read_record(const json& j, problems& p) {
  fields f{j, p, ""};
  double t = f.number("t").value_or(0);
  std::string kind = f.text("kind");
  if (!p.first.empty()) return note_record{};
  if (kind == "link") {
    link_record r;
    r.link = f.small_int("link");
    r.mbps = f.number("mbps").value_or(0);
    r.configured_mbps = f.number("configured_mbps", false);
    r.bits = f.small_int("bits");
    r.lower_bound = f.boolean("lower_bound");
    r.epoch = f.epoch();
    r.t = t;
    return r;
  }
  if (kind == "stage") {
    stage_record r;
    r.stage = f.small_int("stage");
    r.node = f.text("node");
    r.busy = f.number("busy").value_or(0);
    r.ms_per_microbatch = f.number("ms_per_microbatch").value_or(0);
    r.epoch = f.epoch();
    r.t = t;
    return r;
  }
  if (kind == "throughput") {
    throughput_record r;
    r.images_per_s = f.number("images_per_s").value_or(0);
    r.p50_ms = f.number("p50_ms", false);
    r.answered = f.integer("answered");
    r.t = t;
    return r;
  }
  if (kind == "plan") {
    record r = read_plan(f);
    std::get<plan_record>(r).t = t;
    return r;
  }
  if (kind == "note" || kind == "fault") {
    note_record r;
    r.fault = kind == "fault";
    r.text = f.text("text");
    r.node = f.text("node", false);
    r.t = t;
    return r;
  }
  p.fail("unknown kind '" + kind + "' (expected link, stage, throughput, plan, note or fault)");
  return note_record{};
}

} // namespace

std::string check_record(const record& r) {
  problems p;
  double t = time_of(r);
  p.finite_at_least("t", t, 0);
  std::visit([&p](const auto& x) { check(p, x); }, r);
  return p.first;
}

expected<record> parse_json_line(const std::string& line, const std::string& where) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) return make_error(errc::invalid_input, where + ": not valid JSON");
  if (!j.is_object())
    return make_error(errc::invalid_input, where + ": expected a JSON object {\"t\": ..., ...}");
  problems p;
  record r = read_record(j, p);
  if (p.first.empty()) p.first = check_record(r);
  if (p.first.empty()) return r;
  // Name the kind when the line has a known one: "file:3: stage record: ...".
  std::string kind;
  auto k = j.find("kind");
  if (k != j.end() && k->is_string()) kind = k->get<std::string>();
  for (const char* known : {"link", "stage", "throughput", "plan", "note", "fault"})
    if (kind == known)
      return make_error(errc::invalid_input, where + ": " + kind + " record: " + p.first);
  return make_error(errc::invalid_input, where + ": " + p.first);
}

expected<std::vector<record>> read_timeline(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::not_found, "cannot open timeline " + path);
  std::vector<record> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto r = parse_json_line(line, path + ":" + std::to_string(number));
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  if (in.bad()) return make_error(errc::io_error, "cannot read timeline " + path);
  return out;
}

} // namespace edgepipe::runtime
