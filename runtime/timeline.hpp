// timeline: what happened during a live run, one JSON object a line
// (docs/timeline.md is the schema). The runtime changes bitwidths and the
// partition while the pipeline runs; the timeline records link rates, stage
// load, throughput and every plan so a user can see why and when, and
// `edgepipe plot` draws it (timeline_svg.hpp).
//
// Times are seconds since the run started (the timeline converts the
// caller's monotonic nanoseconds). Records need not arrive in time order: a
// plan record may be written once its pause is known, after later samples.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/expected.hpp"
#include "runtime/plan.hpp"

namespace edgepipe::runtime {

// kind "link": one estimate of link i (the link leaving stage i).
struct link_record {
  double t = 0;
  int link = 0;
  double mbps = 0;                       // measured, Mbit/s (10^6 bit/s)
  std::optional<double> configured_mbps; // the emulated rate, for emulated links only
  int bits = 0;                          // bitwidth in use on the link (0 = float32)
  bool lower_bound = false;              // the link was not kept busy: the rate may be higher
  uint64_t epoch = 1;                    // the plan in force
};

// kind "stage": the load of stage i over the last interval.
struct stage_record {
  double t = 0;
  int stage = 0;
  std::string node;             // the node's name in the topology
  double busy = 0;              // fraction of the interval spent computing, 0..1
  double ms_per_microbatch = 0; // mean compute time per microbatch
  uint64_t epoch = 1;
};

// kind "throughput": what the sink saw over the last interval.
struct throughput_record {
  double t = 0;
  double images_per_s = 0;      // over the last interval, not since the start
  std::optional<double> p50_ms; // median latency in the interval; none if nothing was answered
  int64_t answered = 0;         // microbatches answered since the start
};

struct plan_record_stage {
  std::string node;
  int first = 1; // planner layers, 1-based inclusive
  int last = 1;
};

// kind "plan": the initial plan and every change.
struct plan_record {
  double t = 0; // when the plan was decided
  uint64_t epoch = 1;
  std::string reason;
  std::vector<plan_record_stage> stages;
  std::vector<int> bits;          // bits[i]: link leaving stage i (0 = float32)
  std::optional<double> pause_ms; // how long the switch stalled the output, when known
};

// kind "note" (information) or "fault" (a node lost, a frame undecodable):
// free text, for events the other kinds do not describe.
struct note_record {
  double t = 0;
  bool fault = false;
  std::string text;
  std::string node; // the node concerned; empty (and not written) when none
};

using record = std::variant<link_record, stage_record, throughput_record, plan_record, note_record>;

double time_of(const record& r);
// "link", "stage", "throughput", "plan", "note" or "fault".
const char* kind_of(const record& r);

// What is wrong with `r` ("field 'busy' must be in 0..1, got 1.5"), or
// empty when it is valid: the same rules the reader applies to a line.
std::string check_record(const record& r);

// One line of the file, without the trailing newline. Keys in a fixed order
// ("t" and "kind" first); numbers in their shortest exact form, so reading
// the line back gives the same record.
std::string to_json_line(const record& r);

// Parses one line; `where` ("file:line") prefixes every error message.
expected<record> parse_json_line(const std::string& line, const std::string& where);

// Reads a whole file; the first bad line is reported as "file:line: what".
// Blank lines are skipped.
expected<std::vector<record>> read_timeline(const std::string& path);

// The plan record for `p`, naming each stage's node from `node_names` (the
// topology's nodes, indexed as in stage_assignment::node).
plan_record make_plan_record(double t, const plan& p, const std::vector<std::string>& node_names,
                             std::string reason);

// Collects a run's records and, once stream_to() succeeded, appends each one
// to a file as it is added, flushed line by line so that a crash keeps what
// was already recorded. One owner: not safe to call from several threads.
class timeline {
public:
  explicit timeline(int64_t start_ns = 0) : start_ns_(start_ns) {}

  // Creates (or truncates) `path`; every later add() writes a line to it.
  expected<void> stream_to(const std::string& path);

  // Seconds from the run's start to `now_ns` (same monotonic clock).
  double seconds_since_start(int64_t now_ns) const;

  // Keeps the record; when streaming, writes and flushes its line. An error
  // means the line could not be written (the record is still kept).
  expected<void> add(record r);

  const std::vector<record>& records() const { return records_; }

private:
  struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  int64_t start_ns_ = 0;
  std::vector<record> records_;
  std::unique_ptr<std::FILE, file_closer> file_;
  std::string path_;
};

} // namespace edgepipe::runtime
