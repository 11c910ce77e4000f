#include "runtime/timeline.hpp"

#include <cerrno>
#include <cstring>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace edgepipe::runtime {

namespace {

// ordered_json keeps keys in insertion order: "t" and "kind" lead each line.
using ojson = nlohmann::ordered_json;

ojson to_json(const link_record& r) {
  ojson j;
  j["t"] = r.t;
  j["kind"] = "link";
  j["link"] = r.link;
  j["mbps"] = r.mbps;
  if (r.configured_mbps) j["configured_mbps"] = *r.configured_mbps;
  j["bits"] = r.bits;
  j["lower_bound"] = r.lower_bound;
  j["epoch"] = r.epoch;
  return j;
}

ojson to_json(const stage_record& r) {
  ojson j;
  j["t"] = r.t;
  j["kind"] = "stage";
  j["stage"] = r.stage;
  j["node"] = r.node;
  j["busy"] = r.busy;
  j["ms_per_microbatch"] = r.ms_per_microbatch;
  j["epoch"] = r.epoch;
  return j;
}

ojson to_json(const throughput_record& r) {
  ojson j;
  j["t"] = r.t;
  j["kind"] = "throughput";
  j["images_per_s"] = r.images_per_s;
  if (r.p50_ms) j["p50_ms"] = *r.p50_ms;
  j["answered"] = r.answered;
  return j;
}

ojson to_json(const plan_record& r) {
  ojson j;
  j["t"] = r.t;
  j["kind"] = "plan";
  j["epoch"] = r.epoch;
  j["reason"] = r.reason;
  j["stages"] = ojson::array();
  for (const auto& s : r.stages) {
    ojson st;
    st["node"] = s.node;
    st["first"] = s.first;
    st["last"] = s.last;
    j["stages"].push_back(st);
  }
  j["bits"] = r.bits;
  if (r.pause_ms) j["pause_ms"] = *r.pause_ms;
  return j;
}

ojson to_json(const note_record& r) {
  ojson j;
  j["t"] = r.t;
  j["kind"] = r.fault ? "fault" : "note";
  j["text"] = r.text;
  if (!r.node.empty()) j["node"] = r.node;
  return j;
}

} // namespace

double time_of(const record& r) {
  return std::visit([](const auto& x) { return x.t; }, r);
}

const char* kind_of(const record& r) {
  switch (r.index()) {
  case 0:
    return "link";
  case 1:
    return "stage";
  case 2:
    return "throughput";
  case 3:
    return "plan";
  default:
    return std::get<note_record>(r).fault ? "fault" : "note";
  }
}

std::string to_json_line(const record& r) {
  // Invalid UTF-8 in a node name or reason is replaced, never thrown on.
  return std::visit([](const auto& x) { return to_json(x); }, r)
      .dump(-1, ' ', false, ojson::error_handler_t::replace);
}

plan_record make_plan_record(double t, const plan& p, const std::vector<std::string>& node_names,
                             std::string reason) {
  plan_record r;
  r.t = t;
  r.epoch = p.epoch;
  r.reason = std::move(reason);
  for (const auto& s : p.stages) {
    bool named = s.node >= 0 && static_cast<size_t>(s.node) < node_names.size();
    r.stages.push_back(
        {named ? node_names[s.node] : "node " + std::to_string(s.node), s.first, s.last});
  }
  r.bits = p.bits;
  return r;
}

expected<void> timeline::stream_to(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f)
    return make_error(errc::io_error,
                      "cannot write timeline " + path + ": " + std::strerror(errno));
  file_.reset(f);
  path_ = path;
  return {};
}

double timeline::seconds_since_start(int64_t now_ns) const {
  return static_cast<double>(now_ns - start_ns_) * 1e-9;
}

expected<void> timeline::add(record r) {
  // A record the reader would reject is refused here, so the file written
  // during a run always reads back.
  std::string problem = check_record(r);
  if (!problem.empty())
    return make_error(errc::invalid_argument,
                      std::string("timeline ") + kind_of(r) + " record: " + problem);
  records_.push_back(std::move(r));
  if (!file_) return {};
  std::string line = to_json_line(records_.back()) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() ||
      std::fflush(file_.get()) != 0)
    return make_error(errc::io_error,
                      "cannot write timeline " + path_ + ": " + std::strerror(errno));
  return {};
}

} // namespace edgepipe::runtime
