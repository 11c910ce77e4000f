// planner_state: the planner actor's state, shared by its two source files:
// planner_actor.cpp (measurements, bits, re-planning, the run's end) and
// plan_switch.cpp (deploying a plan's epoch and switching to it). Private
// to actors/.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/response_promise.hpp>

#include "actors/control_messages.hpp"
#include "actors/pipeline.hpp"
#include "runtime/bit_controller.hpp"
#include "runtime/replanner.hpp"

namespace edgepipe::actors {

// One epoch's deployment: its stages, as they come up and get wired.
struct epoch_deployment {
  runtime::plan plan;
  std::vector<stage_actor> stages;
  std::vector<link_choice> links; // per stage: its outgoing link
  size_t waiting = 0;             // replies still expected in the current step
  bool failed = false;
  std::string reason; // why this plan
  int64_t started_ns = 0;
};

// What the planner knows of one node's health.
struct node_health {
  bool alive = true;
  int64_t lost_ns = 0;
  std::string cause;         // why it was declared lost
  bool reconnecting = false; // a rejoin attempt is under way
  int64_t next_attempt_ns = 0;
  size_t fault = 0; // index of its open fault_event in planner_state::faults
};

struct planner_state {
  pipeline_config cfg;
  caf::typed_response_promise<run_outcome> promise;
  caf::actor progress;
  int64_t start_ns = 0;

  sink_actor sink;
  source_actor source;
  monitor_actor monitor;
  encoder_actor source_encoder;

  std::optional<epoch_deployment> current; // the plan frames flow through
  std::optional<epoch_deployment> next;    // being deployed
  uint64_t next_epoch = 1;
  std::vector<plan_change> plans;
  bool plan_recorded_last = true; // the latest change is on the timeline

  std::unique_ptr<runtime::bit_controller> bits; // the current plan's links
  std::vector<link_report> link_latest;          // by link index of the current plan
  std::vector<stage_report> stage_latest;        // by stage of the current plan
  std::unique_ptr<runtime::replanner> replanner;
  // The latest estimate of every node pair measured (from * nodes + to) and
  // when, so a plan does not route straight back over a link it left because
  // it was slow; forgotten after a while (the link may have recovered).
  std::map<size_t, std::pair<runtime::link_estimate, int64_t>> pair_estimates;
  int64_t last_replan_check_ns = 0;
  bool gave_up_noted = false;

  runtime::run_summary last_summary;
  int64_t last_progress_ns = 0; // last time the answered count grew
  int64_t last_throughput_ns = 0;
  uint64_t last_throughput_images = 0;
  std::vector<std::string> failures; // stage failures, for the report
  bool finishing = false;
  std::string failure; // why the run ends early (empty: it ran to its end)

  std::vector<node_health> health; // by node, topology order
  std::vector<fault_event> faults;
  // The running plan uses a lost node: frames through it are lost until the
  // next plan commits (the source replays them then).
  bool current_broken = false;
  std::vector<int64_t> last_heard_ns; // by node: its stages' latest report
  std::string rejoin_pending;         // a node rejoined: plan for it at the next tick
  int recovery_failures = 0;          // deployments abandoned while the plan is broken
  std::vector<std::string> notes;     // for the next run_progress
  static inline const char* name = "edgepipe.planner";
};

using planner_ptr = planner_actor::stateful_pointer<planner_state>;

int64_t planner_now_ns();
double seconds_since_start(planner_ptr self);

// plan_switch.cpp
void deploy_plan(planner_ptr self, runtime::plan plan, std::string reason);
// Ends the run early: retires every stage, answers the run_request with
// what was answered, why it stopped and what was not answered.
void fail_run(planner_ptr self, const std::string& why);
// Asks each alive node of `d` to retire its stage; `on_answer` (if set) is
// called once per answer, or per request that timed out. Returns how many
// were asked. A node answers at once, so the timeout is short.
constexpr auto retire_timeout = std::chrono::seconds(3);
size_t retire_deployment(planner_ptr self, epoch_deployment& d,
                         std::function<void()> on_answer = {});
// The deployment under way cannot finish: the first plan fails the run, a
// later one is abandoned (and, when the running plan is broken, replaced).
void deployment_failed(planner_ptr self, const std::string& why);

// planner_actor.cpp
void on_plan_committed(planner_ptr self);

// planner_adapt.cpp
double target_period_s(planner_ptr self);
// What the controller and the re-planner should believe about link k of the
// current plan: the encoder's estimate, or, when frames have been stuck in
// the link far longer than the period, the rate that stall allows at most.
runtime::link_estimate effective_estimate(planner_ptr self, size_t k);
void on_link_reports(planner_ptr self, const link_reports& reports);
void on_stage_report(planner_ptr self, const stage_report& r);
void record_throughput(planner_ptr self, const runtime::run_summary& s);
void record_plan(planner_ptr self, const plan_change& c);
void record_note(planner_ptr self, const std::string& text, bool fault,
                 const std::string& node = "");

// planner_replan.cpp
void consider_replan(planner_ptr self);
// The re-planner's inputs for the running plan (alive nodes only).
runtime::replan_inputs replan_inputs_now(planner_ptr self);
runtime::replanner& replanner_of(planner_ptr self);

// planner_faults.cpp
// A node (or a stage on it) is gone: re-plan over the survivors, or fail the
// run when nothing fits them.
void on_node_lost(planner_ptr self, size_t node, const std::string& cause);
void on_stage_down(planner_ptr self, const caf::actor_addr& stage, const caf::error& reason);
// From the tick: try to reach lost nodes again.
void try_rejoins(planner_ptr self);
// A plan change committed: the open faults it repaired get its epoch.
void on_recovery_committed(planner_ptr self, uint64_t epoch);
bool plan_uses_lost_node(planner_ptr self, const runtime::plan& p);
// Why node `node` is gone, as far as the planner can tell: "connection
// closed" or "silent for 3.1 s (heartbeat timeout 3.0 s)".
std::string loss_cause(planner_ptr self, size_t node);

} // namespace edgepipe::actors
