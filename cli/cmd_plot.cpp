// edgepipe plot: draws a run's timeline (the JSON lines `edgepipe run
// --timeline` writes) as an SVG file, so a run can be re-plotted later or
// after a crash without running it again.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "runtime/timeline.hpp"
#include "runtime/timeline_svg.hpp"

namespace edgepipe::cli {

namespace {

int run_plot(int argc, char** argv) {
  args a("plot", "Draw a run's timeline (JSON lines, see docs/timeline.md) as an SVG file:\n"
                 "bandwidth, bitwidth per link, throughput and plan changes over time.");
  a.positional("TIMELINE.jsonl", "the file written by `edgepipe run --timeline`");
  a.option("out", "FILE.svg", "where to write the plot", true);
  a.option("title", "TEXT", "the plot's title (default: the timeline's file name)");
  a.option("bandwidth-axis", "auto|linear|log", "the bandwidth panel's scale", false, "auto");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  runtime::svg_options o;
  std::string scale = a.get("bandwidth-axis");
  if (scale == "auto")
    o.scale = runtime::bandwidth_scale::automatic;
  else if (scale == "linear")
    o.scale = runtime::bandwidth_scale::linear;
  else if (scale == "log")
    o.scale = runtime::bandwidth_scale::log;
  else
    return a.usage_error("--bandwidth-axis must be auto, linear or log, not '" + scale + "'");

  const std::string in = a.positionals()[0];
  auto records = runtime::read_timeline(in);
  if (!records) {
    std::cerr << "edgepipe plot: " << records.error().message << "\n";
    return exit_usage;
  }
  o.title = a.has("title") ? a.get("title") : in.substr(in.find_last_of('/') + 1);

  const std::string out = a.get("out");
  std::ofstream f(out, std::ios::binary);
  f << runtime::render_svg(*records, o);
  f.close();
  if (!f) {
    std::cerr << "edgepipe plot: cannot write " << out << "\n";
    return exit_usage;
  }
  std::set<int> links;
  size_t plans = 0;
  for (const auto& r : *records) {
    if (auto* l = std::get_if<runtime::link_record>(&r)) links.insert(l->link);
    if (std::holds_alternative<runtime::plan_record>(r)) ++plans;
  }
  std::printf("%s: %zu records, %zu links, %zu plans, %.1f s -> %s\n", in.c_str(), records->size(),
              links.size(), plans, runtime::svg_time_axis_end(*records), out.c_str());
  return exit_ok;
}

const command_registrar registrar({"plot", "draw a run's timeline (JSON lines) as an SVG file",
                                   run_plot});

} // namespace

} // namespace edgepipe::cli
