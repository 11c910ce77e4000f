#include "actors/register_types.hpp"

#include <chrono>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/message.hpp>

#include "actors/errors.hpp"
#include "actors/messages.hpp"

namespace edgepipe::actors {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<vit_dims>("edgepipe::vit_dims");
  cfg.add_message_type<stage_spec>("edgepipe::stage_spec");
  cfg.add_message_type<shaper_spec>("edgepipe::shaper_spec");
  cfg.add_message_type<link_spec>("edgepipe::link_spec");
  cfg.add_message_type<node_info>("edgepipe::node_info");
  cfg.add_message_type<frame_msg>("edgepipe::frame_msg");
  cfg.add_message_type<activation_msg>("edgepipe::activation_msg");
  cfg.add_message_type<link_sample>("edgepipe::link_sample");
  // Replies: per-layer times (node profile), per-link estimates and bits.
  cfg.add_message_type<std::vector<double>>("std::vector<double>");
  cfg.add_message_type<std::vector<int32_t>>("std::vector<int32_t>");
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
