// bandwidth monitor: collects the encoders' link reports (each encoder
// estimates its own link from what gets through: runtime/link_estimator)
// and hands the latest of every link to the planner about every 250 ms.
// Reports of an older epoch than one already seen for a link are stale and
// ignored. Nothing here reads a configured rate.
#pragma once

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"

namespace edgepipe::actors {

// `planner` may be invalid: the monitor only answers get_link_reports then.
monitor_actor spawn_bandwidth_monitor(caf::actor_system& sys, planner_actor planner);

} // namespace edgepipe::actors
