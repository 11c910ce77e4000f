#include "actors/register_types.hpp"

#include <chrono>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/message.hpp>

#include "actors/control_messages.hpp"
#include "actors/errors.hpp"

namespace edgepipe::actors {

void register_types(caf::actor_system_config& cfg) {
  // Plain descriptions.
  cfg.add_message_type<vit_dims>("edgepipe::vit_dims");
  cfg.add_message_type<stage_spec>("edgepipe::stage_spec");
  cfg.add_message_type<shaper_spec>("edgepipe::shaper_spec");
  cfg.add_message_type<link_spec>("edgepipe::link_spec");
  cfg.add_message_type<node_info>("edgepipe::node_info");
  // Data path.
  cfg.add_message_type<frame_msg>("edgepipe::frame_msg");
  cfg.add_message_type<frame_ack>("edgepipe::frame_ack");
  cfg.add_message_type<frame_credit>("edgepipe::frame_credit");
  cfg.add_message_type<result_msg>("edgepipe::result_msg");
  cfg.add_message_type<result_taken>("edgepipe::result_taken");
  // Control between processes.
  cfg.add_message_type<set_bits>("edgepipe::set_bits");
  cfg.add_message_type<link_report>("edgepipe::link_report");
  cfg.add_message_type<stage_report>("edgepipe::stage_report");
  cfg.add_message_type<stage_failure>("edgepipe::stage_failure");
  cfg.add_message_type<wire_spec>("edgepipe::wire_spec");
  cfg.add_message_type<wire_request>("edgepipe::wire_request");
  cfg.add_message_type<get_node_info>("edgepipe::get_node_info");
  cfg.add_message_type<deploy_request>("edgepipe::deploy_request");
  cfg.add_message_type<retire_request>("edgepipe::retire_request");
  cfg.add_message_type<profile_request>("edgepipe::profile_request");
  cfg.add_message_type<layer_times>("edgepipe::layer_times");
  cfg.add_message_type<set_node_name>("edgepipe::set_node_name");
  cfg.add_message_type<shutdown_request>("edgepipe::shutdown_request");
  cfg.add_message_type<get_stage_report>("edgepipe::get_stage_report");
  // Handles that cross the network inside those messages.
  cfg.add_message_type<stage_actor>("edgepipe::stage_actor");
  cfg.add_message_type<node_actor>("edgepipe::node_actor");
  cfg.add_message_type<frame_receiver>("edgepipe::frame_receiver");
  cfg.add_message_type<encoder_actor>("edgepipe::encoder_actor");
  cfg.add_message_type<monitor_actor>("edgepipe::monitor_actor");
  cfg.add_message_type<planner_actor>("edgepipe::planner_actor");
  // Inside the run process (registered so they print and could travel).
  cfg.add_message_type<encoder_tick>("edgepipe::encoder_tick");
  cfg.add_message_type<monitor_tick>("edgepipe::monitor_tick");
  cfg.add_message_type<planner_tick>("edgepipe::planner_tick");
  cfg.add_message_type<stage_tick>("edgepipe::stage_tick");
  cfg.add_message_type<get_link_reports>("edgepipe::get_link_reports");
  cfg.add_message_type<link_reports>("edgepipe::link_reports");
  cfg.add_message_type<start_run>("edgepipe::start_run");
  cfg.add_message_type<answered>("edgepipe::answered");
  cfg.add_message_type<switch_epoch>("edgepipe::switch_epoch");
  cfg.add_message_type<retry_seq>("edgepipe::retry_seq");
  cfg.add_message_type<get_source_stats>("edgepipe::get_source_stats");
  cfg.add_message_type<source_stats>("edgepipe::source_stats");
  cfg.add_message_type<set_epoch>("edgepipe::set_epoch");
  cfg.add_message_type<skip_seq>("edgepipe::skip_seq");
  cfg.add_message_type<attach_source>("edgepipe::attach_source");
  cfg.add_message_type<get_summary>("edgepipe::get_summary");
  cfg.add_message_type<get_run_output>("edgepipe::get_run_output");
  cfg.add_message_type<runtime::run_summary>("edgepipe::run_summary");
  cfg.add_message_type<run_output>("edgepipe::run_output");
  cfg.add_message_type<switch_pause>("edgepipe::switch_pause");
  cfg.add_message_type<sink_progress>("edgepipe::sink_progress");
  cfg.add_message_type<run_request>("edgepipe::run_request");
  cfg.add_message_type<run_progress>("edgepipe::run_progress");
  cfg.add_message_type<run_outcome>("edgepipe::run_outcome");
  cfg.add_message_type<fault_event>("edgepipe::fault_event");
  cfg.add_message_type<stop_run>("edgepipe::stop_run");
  cfg.add_message_type<source_actor>("edgepipe::source_actor");
  cfg.add_message_type<sink_actor>("edgepipe::sink_actor");
  cfg.add_error_category(caf::atom("edgepipe"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = "edgepipe: ";
                           text += to_string(static_cast<errc>(code));
                           if (ctx.size() == 1 && ctx.match_element<std::string>(0))
                             text += ": " + ctx.get_as<std::string>(0);
                           return text;
                         });
}

void configure_system(caf::actor_system_config& cfg) {
  using namespace std::chrono_literals;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("middleman.heartbeat-interval", caf::timespan{500ms});
  cfg.set("middleman.connection-timeout", caf::timespan{3s});
}

} // namespace edgepipe::actors
