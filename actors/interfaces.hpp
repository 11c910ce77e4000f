// interfaces: the typed handles of the pipeline's actors. Each lists exactly
// the messages its actor takes (and what it answers), so a message to the
// wrong actor is a compile error, and a mismatched peer is refused when its
// handle is cast. Message structs are in actors/messages.hpp.
//
//   run process                     node A                         node B
//   source -> encoder(0) ==> stage 0 -> encoder(1) ==> stage 1 -> encoder(2) ==> sink
//                              |  link_report -> bandwidth monitor -> planner
//                              `- stage_report / stage_failure ----> planner
//   planner: set_bits -> stages; deploys a new epoch on the nodes; switches source and sink.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/run_tally.hpp"

namespace edgepipe::actors {

// Control messages that carry handles or run-wide results: defined in
// actors/control_messages.hpp (they need the handles declared here).
struct encoder_tick;
struct monitor_tick;
struct get_link_reports;
struct link_reports;
struct run_request;
struct run_outcome;
struct sink_progress;
struct switch_pause;
struct planner_tick;
struct stop_run;
struct wire_request;
struct stage_tick;
struct get_stage_report;
struct get_node_info;
struct deploy_request;
struct retire_request;
struct profile_request;
struct layer_times;
struct set_node_name;
struct shutdown_request;
struct set_epoch;
struct skip_seq;
struct get_run_output;
struct get_summary;
struct attach_source;
struct run_output;
struct start_run;
struct answered;
struct switch_epoch;
struct retry_seq;
struct get_source_stats;
struct source_stats;

// Anything frames can be sent to: a stage or the sink.
using frame_receiver = caf::typed_actor<caf::reacts_to<frame_msg>>;

// Anything an encoder takes results from: a stage or the source.
using result_producer = caf::typed_actor<caf::reacts_to<result_taken>>;

// The sending end of one link: codec, shaper, credit window, link estimate.
using encoder_actor = caf::typed_actor<caf::reacts_to<result_msg>, caf::reacts_to<frame_ack>,
                                       caf::reacts_to<frame_credit>, caf::reacts_to<set_bits>,
                                       caf::reacts_to<encoder_tick>>;

// Collects the encoders' link reports and passes them to the planner.
using monitor_actor = caf::typed_actor<caf::reacts_to<link_report>, caf::reacts_to<monitor_tick>,
                                       caf::replies_to<get_link_reports>::with<link_reports>>;

// The run process's planner: plans, deploys, adapts, re-partitions.
using planner_actor =
    caf::typed_actor<caf::replies_to<run_request>::with<run_outcome>, caf::reacts_to<link_reports>,
                     caf::reacts_to<stage_report>, caf::reacts_to<stage_failure>,
                     caf::reacts_to<sink_progress>, caf::reacts_to<switch_pause>,
                     caf::reacts_to<planner_tick>, caf::reacts_to<stop_run>>;

// A pipeline stage: layers [first, last] of one epoch's plan.
using stage_actor = frame_receiver::extend<caf::reacts_to<result_taken>,
                                           caf::replies_to<wire_request>::with<caf::ok_atom>,
                                           caf::reacts_to<set_bits>, caf::reacts_to<stage_tick>,
                                           caf::replies_to<get_stage_report>::with<stage_report>>;

// The device daemon: hosts stages.
using node_actor =
    caf::typed_actor<caf::replies_to<get_node_info>::with<node_info>,
                     caf::replies_to<deploy_request>::with<stage_actor>,
                     caf::replies_to<retire_request>::with<caf::ok_atom>,
                     caf::replies_to<profile_request>::with<layer_times>,
                     caf::reacts_to<set_node_name>, caf::reacts_to<shutdown_request>>;

// The sink: delivers results in order, exactly once.
using sink_actor = frame_receiver::extend<caf::reacts_to<set_epoch>, caf::reacts_to<skip_seq>,
                                          caf::reacts_to<attach_source>,
                                          caf::replies_to<get_summary>::with<runtime::run_summary>,
                                          caf::replies_to<get_run_output>::with<run_output>>;

// The source: feeds microbatches with a bounded number outstanding, replays.
using source_actor =
    result_producer::extend<caf::reacts_to<start_run>, caf::reacts_to<answered>,
                            caf::reacts_to<switch_epoch>, caf::reacts_to<retry_seq>,
                            caf::replies_to<get_source_stats>::with<source_stats>>;

} // namespace edgepipe::actors
