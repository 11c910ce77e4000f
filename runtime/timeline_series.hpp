// timeline_series: a timeline's records split into the series the plot
// draws (per link, per stage, throughput, plans, notes), each in time order.
// The order is total (time, kind, link / stage / epoch), so the same records
// in any order give the same series.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "runtime/timeline.hpp"

namespace edgepipe::runtime {

using time_series = std::vector<std::pair<double, double>>; // (t, value), in time order

struct series_set {
  std::map<int, time_series> measured, configured, bits, lower_bound; // by link, Mbit/s or bits
  std::map<int, time_series> busy_percent;                            // by stage
  time_series images_per_s, p50_ms;
  std::vector<const plan_record*> plans; // point into the records given to collect_series
  std::vector<const note_record*> notes;
};

// Records with a non-finite time or value are left out of the series.
series_set collect_series(const std::vector<record>& records);

} // namespace edgepipe::runtime
