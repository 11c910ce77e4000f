// control_messages: the messages that carry actor handles or a whole run's
// results (so they come after the typed interfaces), and the timer ticks each
// actor sends itself. Data-path messages are in actors/messages.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/interfaces.hpp"
#include "runtime/plan.hpp"
#include "runtime/run_tally.hpp"

namespace edgepipe::actors {

// -- ticks: an actor's own timer ------------------------------------------------
struct encoder_tick {
  bool report = false; // the report timer (else the shaper's release timer)
};
struct monitor_tick {};
struct planner_tick {};
struct stage_tick {};

// -- node -------------------------------------------------------------------------
struct get_node_info {};
struct deploy_request {
  stage_spec spec;
  uint64_t epoch = 0;
  uint32_t stage = 0; // index in the epoch's plan
};
struct retire_request {
  stage_actor stage;
};
struct profile_request {
  stage_spec spec;
  int32_t microbatch = 1;
};
struct layer_times {
  std::vector<double> seconds; // per planner layer
};
struct set_node_name {
  std::string name;
};
struct shutdown_request {};

// -- stage ------------------------------------------------------------------------
struct wire_request {
  wire_spec spec;
  frame_receiver next;   // the next stage, or the sink
  monitor_actor monitor; // gets the outgoing link's reports
  planner_actor planner; // gets stage reports and failures
};
struct get_stage_report {};

// -- monitor ----------------------------------------------------------------------
struct get_link_reports {};
struct link_reports {
  std::vector<link_report> links; // the latest report of every link
};

// -- source and sink --------------------------------------------------------------
struct start_run {};
struct answered {
  uint64_t seq = 0;
};
struct switch_epoch {
  uint64_t epoch = 0;
  encoder_actor encoder; // link 0 of the new plan
};
struct retry_seq {
  uint64_t seq = 0;
  std::string why;
};
struct get_source_stats {};
struct source_stats {
  uint64_t sent = 0, replayed = 0;
  std::vector<uint64_t> given_up;   // microbatches no stage could compute
  std::vector<uint64_t> unanswered; // microbatches the sink has not answered yet
};
struct set_epoch {
  uint64_t epoch = 0;
};
struct skip_seq {
  uint64_t seq = 0;
};
struct get_summary {};
struct attach_source {
  source_actor source; // gets `answered` for every accepted result
};
struct get_run_output {};
struct run_output {
  runtime::run_summary summary;
  std::vector<int> predictions;     // by image, -1 where not answered
  std::vector<ops::tensor> outputs; // by microbatch, when kept
};
// The sink's word that a switch is over: the gap in deliveries it caused.
struct switch_pause {
  uint64_t epoch = 0;
  double pause_ms = 0;
};
// The sink finished (every microbatch delivered or given up).
struct sink_progress {
  runtime::run_summary summary;
  bool finished = false;
};

// -- planner ----------------------------------------------------------------------
// Starts the run the planner was spawned for; `progress` (may be invalid)
// gets a run_progress message about every 250 ms.
struct run_request {
  caf::actor progress;
};
struct plan_change {
  double t_s = 0; // since the run started
  runtime::plan plan;
  std::string reason;
  double pause_ms = -1; // -1: not measured (the initial plan, or no delivery yet)
};
struct run_progress {
  runtime::run_summary summary;
  uint64_t epoch = 0;
  std::vector<int32_t> bits;      // per link of the current plan
  std::vector<std::string> notes; // faults and recoveries since the last progress
};
// A node lost while the run went on, and what became of it.
struct fault_event {
  double t_s = 0;              // when the loss was noticed, since the run started
  std::string node;            // the topology's name
  std::string cause;           // "connection closed", "silent for 3 s (heartbeat)", ...
  uint64_t recovery_epoch = 0; // the plan that replaced the broken one (0: none)
  double rejoined_t_s = -1;    // when it was back (-1: not back)
};
// Ends a run early (Ctrl-C): every stage is retired, what was answered is
// reported.
struct stop_run {
  std::string why;
};
struct run_outcome {
  std::string failure; // empty: the workload ran to its end; else why the run stopped
  runtime::run_summary summary;
  std::vector<fault_event> faults;
  std::vector<uint64_t> unanswered; // microbatches the sink never delivered
  std::vector<plan_change> plans;   // the initial plan and every change
  std::vector<int32_t> bits_out;    // per stage's outgoing link, at the end
  std::vector<double> link_mbps;    // estimate per link at the end (0 = none)
  std::vector<double> stage_compute_ms;
  std::vector<int> predictions;
  std::vector<ops::tensor> outputs;
  std::vector<uint64_t> given_up; // microbatches no stage could compute
};

// -- inspect ----------------------------------------------------------------------
#define EDGEPIPE_EMPTY_MESSAGE(T)                                                                  \
  template <class Inspector> typename Inspector::result_type inspect(Inspector& f, T&) {           \
    return f(caf::meta::type_name(#T));                                                            \
  }
EDGEPIPE_EMPTY_MESSAGE(monitor_tick)
EDGEPIPE_EMPTY_MESSAGE(planner_tick)
EDGEPIPE_EMPTY_MESSAGE(stage_tick)
EDGEPIPE_EMPTY_MESSAGE(get_node_info)
EDGEPIPE_EMPTY_MESSAGE(shutdown_request)
EDGEPIPE_EMPTY_MESSAGE(get_stage_report)
EDGEPIPE_EMPTY_MESSAGE(get_link_reports)
EDGEPIPE_EMPTY_MESSAGE(start_run)
EDGEPIPE_EMPTY_MESSAGE(get_summary)
EDGEPIPE_EMPTY_MESSAGE(get_run_output)
EDGEPIPE_EMPTY_MESSAGE(get_source_stats)
#undef EDGEPIPE_EMPTY_MESSAGE

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, encoder_tick& x) {
  return f(caf::meta::type_name("encoder_tick"), x.report);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_request& x) {
  return f(caf::meta::type_name("deploy_request"), x.spec, x.epoch, x.stage);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retire_request& x) {
  return f(caf::meta::type_name("retire_request"), x.stage);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_request& x) {
  return f(caf::meta::type_name("profile_request"), x.spec, x.microbatch);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, layer_times& x) {
  return f(caf::meta::type_name("layer_times"), x.seconds);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, set_node_name& x) {
  return f(caf::meta::type_name("set_node_name"), x.name);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, wire_request& x) {
  return f(caf::meta::type_name("wire_request"), x.spec, x.next, x.monitor, x.planner);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, link_reports& x) {
  return f(caf::meta::type_name("link_reports"), x.links);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, answered& x) {
  return f(caf::meta::type_name("answered"), x.seq);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, switch_epoch& x) {
  return f(caf::meta::type_name("switch_epoch"), x.epoch, x.encoder);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, retry_seq& x) {
  return f(caf::meta::type_name("retry_seq"), x.seq, x.why);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, source_stats& x) {
  return f(caf::meta::type_name("source_stats"), x.sent, x.replayed, x.given_up, x.unanswered);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, set_epoch& x) {
  return f(caf::meta::type_name("set_epoch"), x.epoch);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, skip_seq& x) {
  return f(caf::meta::type_name("skip_seq"), x.seq);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, attach_source& x) {
  return f(caf::meta::type_name("attach_source"), x.source);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, switch_pause& x) {
  return f(caf::meta::type_name("switch_pause"), x.epoch, x.pause_ms);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_request& x) {
  return f(caf::meta::type_name("run_request"), x.progress);
}

} // namespace edgepipe::actors

namespace edgepipe::runtime {
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_summary& x) {
  return f(caf::meta::type_name("run_summary"), x.requests, x.answered, x.lost, x.duplicates,
           x.stale, x.replayed, x.images, x.correct, x.labeled, x.accuracy, x.elapsed_s,
           x.images_per_s, x.recent_images_per_s, x.latency_p50_ms, x.latency_p99_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stage_assignment& x) {
  return f(x.node, x.first, x.last);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, plan& x) {
  return f(caf::meta::type_name("plan"), x.epoch, x.stages, x.bits);
}
} // namespace edgepipe::runtime

namespace edgepipe::ops {
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, tensor& x) {
  return f(caf::meta::type_name("tensor"), x.shape, x.data);
}
} // namespace edgepipe::ops

namespace edgepipe::actors {
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_output& x) {
  return f(caf::meta::type_name("run_output"), x.summary, x.predictions, x.outputs);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, sink_progress& x) {
  return f(caf::meta::type_name("sink_progress"), x.summary, x.finished);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, plan_change& x) {
  return f(caf::meta::type_name("plan_change"), x.t_s, x.plan, x.reason, x.pause_ms);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_progress& x) {
  return f(caf::meta::type_name("run_progress"), x.summary, x.epoch, x.bits, x.notes);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("run_outcome"), x.failure, x.summary, x.faults, x.unanswered,
           x.plans, x.bits_out, x.link_mbps, x.stage_compute_ms, x.predictions, x.outputs,
           x.given_up);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, fault_event& x) {
  return f(caf::meta::type_name("fault_event"), x.t_s, x.node, x.cause, x.recovery_epoch,
           x.rejoined_t_s);
}
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stop_run& x) {
  return f(caf::meta::type_name("stop_run"), x.why);
}
} // namespace edgepipe::actors
