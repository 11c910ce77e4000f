// timeline_svg: a run's timeline drawn as one standalone SVG file (no
// plotting library; any browser shows it). Panels stacked on one time axis:
//   bandwidth per link (measured solid, configured dashed), Mbit/s
//   bitwidth per link (steps; "fp32" above the integer bitwidths)
//   throughput, images/s
//   median latency, ms (when the timeline has any)
//   busy % per stage (when the timeline has stage records)
// Every plan is a vertical line across the panels labelled "epoch e", its
// reason in a hover tooltip; faults are red dashed lines. The same records
// give the same bytes, whatever order they come in.
#pragma once

#include <string>
#include <vector>

#include "runtime/timeline.hpp"

namespace edgepipe::runtime {

enum class bandwidth_scale {
  automatic, // logarithmic when the rates span more than a factor of 30
  linear,
  log,
};

struct svg_options {
  std::string title = "edgepipe run";
  int width = 960;           // pixels; the height follows from the panels
  double margin_left = 72;   // room for the y-axis labels
  double margin_right = 170; // room for the legends
  bandwidth_scale scale = bandwidth_scale::automatic;
};

// The time axis runs from 0 (the run's start) to the latest record's t (1 s
// when there is none later than 0), so a record at time t is drawn at
//   x = margin_left + t / t_end * (width - margin_left - margin_right).
double svg_time_axis_end(const std::vector<record>& records);

std::string render_svg(const std::vector<record>& records, const svg_options& options = {});

} // namespace edgepipe::runtime
