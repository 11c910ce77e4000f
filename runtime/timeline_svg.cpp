#include "runtime/timeline_svg.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "runtime/svg_draw.hpp"
#include "runtime/timeline_series.hpp"

namespace edgepipe::runtime {

namespace {

using svg::format;
struct panel {
  std::string name, unit;
  double top = 0, height = 0;
  svg::y_axis axis;
  double bottom() const { return top + height; }
};

// The whole drawing's geometry and output buffer.
struct canvas {
  std::string out;
  double left = 0, right = 0, t_end = 1;
  double x(double t) const { return left + t / t_end * (right - left); }
  void add(const std::string& s) { out += s; }
};

svg::y_axis bandwidth_axis(const series_set& s, bandwidth_scale scale) {
  double lo = 0, hi = 0;
  for (const auto* m : {&s.measured, &s.configured})
    for (const auto& [link, pts] : *m)
      for (const auto& p : pts) {
        if (p.second > 0 && (lo == 0 || p.second < lo)) lo = p.second;
        hi = std::max(hi, p.second);
      }
  svg::y_axis a;
  bool log = scale == bandwidth_scale::log ||
             (scale == bandwidth_scale::automatic && lo > 0 && hi / lo > 30);
  if (log && lo > 0) {
    a.log = true;
    a.lo = svg::nice_floor_125(lo);
    a.hi = svg::nice_ceil_125(hi);
    if (a.hi <= a.lo) a.hi = a.lo * 10;
  } else {
    a.lo = 0;
    a.hi = svg::nice_ceil(hi * 1.05);
  }
  return a;
}

// Bitwidths 1..16 on a linear scale; float32 (bits 0) one step above them.
struct bits_scale {
  double top_bits = 8, fp32 = 10;
  double value(double bits) const { return bits == 0 ? fp32 : bits; }
};

bits_scale make_bits_scale(const series_set& s) {
  double most = 0;
  for (const auto& [link, pts] : s.bits)
    for (const auto& p : pts) most = std::max(most, p.second);
  bits_scale b;
  b.top_bits = std::max(8.0, std::ceil(most / 4) * 4);
  b.fp32 = b.top_bits * 1.25;
  return b;
}

void draw_frame(canvas& c, const panel& p, const std::vector<std::pair<double, std::string>>& ys,
                const std::vector<double>& xs) {
  c.add(format("<g class=\"panel\" data-name=\"%s\">\n", p.name.c_str()));
  for (double t : xs)
    c.add(format("<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#eee\"/>\n",
                 c.x(t), p.top, c.x(t), p.bottom()));
  for (const auto& [v, label] : ys) {
    double y = p.axis.y(v);
    c.add(format("<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#eee\"/>\n",
                 c.left, y, c.right, y));
    c.add(format("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", c.left - 5, y + 4,
                 svg::escape(label).c_str()));
  }
  c.add(format("<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
               "stroke=\"#999\"/>\n",
               c.left, p.top, c.right - c.left, p.height));
  double mid = p.top + p.height / 2;
  c.add(format("<text x=\"14\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.2f)\">"
               "%s</text>\n</g>\n",
               mid, mid, svg::escape(p.unit).c_str()));
}

std::vector<std::pair<double, std::string>> labelled(const std::vector<double>& values) {
  std::vector<std::pair<double, std::string>> out;
  for (double v : values) out.push_back({v, svg::number(v)});
  return out;
}

// How one series is drawn. `step` holds each value until the next sample
// (and, with `until` > 0, to that time); `nudge` moves it down by pixels.
struct series_style {
  const char* cls;   // the polyline's class: measured, configured, bits, ...
  std::string title; // its hover text: "link 0 measured"
  const char* colour;
  std::string extra = ""; // more attributes (dashes, opacity)
  bool step = false;
  double until = 0;
  double nudge = 0;
};

// A series as a polyline; a lone sample is also drawn as a dot.
void draw_series(canvas& c, const panel& p, const time_series& pts, const series_style& st) {
  if (pts.empty()) return;
  auto yv = [&](double v) { return p.axis.y(v) + st.nudge; };
  std::vector<svg::point> line;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (st.step && i > 0) line.push_back({c.x(pts[i].first), yv(pts[i - 1].second)});
    line.push_back({c.x(pts[i].first), yv(pts[i].second)});
  }
  if (st.step && st.until > pts.back().first)
    line.push_back({c.x(st.until), yv(pts.back().second)});
  c.add(format("<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s "
               "points=\"%s\"><title>%s</title></polyline>\n",
               st.cls, st.colour, st.extra.c_str(), svg::points_attribute(line).c_str(),
               svg::escape(st.title).c_str()));
  if (line.size() == 1)
    c.add(format("<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n", line[0].x, line[0].y,
                 st.colour));
}

std::string plan_tooltip(const plan_record& p) {
  std::string s = format("epoch %llu at %.3f s: ", static_cast<unsigned long long>(p.epoch), p.t) +
                  p.reason + "\n";
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const auto& st = p.stages[i];
    s += (i ? " -> " : "") + st.node + format(" [%d..%d]", st.first, st.last);
  }
  s += "\nbits:";
  for (int b : p.bits) s += b == 0 ? std::string(" fp32") : format(" %d", b);
  if (p.pause_ms) s += format("\npause %.1f ms", *p.pause_ms);
  return s;
}

// Plan changes (labelled in rows above the first panel, placed left to right
// in the first row with room) and faults, across every panel.
void draw_markers(canvas& c, const series_set& s, double top, double bottom, double band_top) {
  std::vector<double> row_end(3, -1e9);
  for (const plan_record* p : s.plans) {
    double x = c.x(p->t);
    std::string label = format("epoch %llu", static_cast<unsigned long long>(p->epoch));
    double width = 6.2 * label.size();
    size_t row = 0;
    while (row + 1 < row_end.size() && row_end[row] > x) ++row;
    row_end[row] = x + width + 4;
    c.add(format("<g class=\"plan-change\" data-epoch=\"%llu\"><title>%s</title>\n",
                 static_cast<unsigned long long>(p->epoch), svg::escape(plan_tooltip(*p)).c_str()));
    c.add(format("<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\" "
                 "stroke-width=\"1\"/>\n",
                 x, band_top + 13.0 * row, x, bottom));
    c.add(format("<text x=\"%.2f\" y=\"%.2f\">%s</text>\n</g>\n", x + 3, band_top + 13.0 * row + 10,
                 label.c_str()));
  }
  for (const note_record* n : s.notes) {
    double x = c.x(n->t);
    std::string tip = format("%.3f s %s: ", n->t, n->fault ? "fault" : "note") + n->text +
                      (n->node.empty() ? "" : " (node " + n->node + ")");
    if (n->fault)
      c.add(format("<g class=\"fault\"><title>%s</title><line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
                   "y2=\"%.2f\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/></g>\n",
                   svg::escape(tip).c_str(), x, top, x, bottom));
    else
      c.add(format("<g class=\"note\"><title>%s</title><circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" "
                   "fill=\"#777\"/></g>\n",
                   svg::escape(tip).c_str(), x, top));
  }
}

// The legend column right of a panel: a heading, then entries while they fit.
struct legend {
  canvas& c;
  double x, y, bottom;
  void heading(const std::string& text) {
    c.add(format("<text x=\"%.2f\" y=\"%.2f\" font-weight=\"bold\">%s</text>\n", x, y + 10,
                 svg::escape(text).c_str()));
    y += 16;
  }
  int room() const { return static_cast<int>((bottom - y) / 14); }
  void note(const std::string& text) {
    c.add(format("<text x=\"%.2f\" y=\"%.2f\" fill=\"#555\">%s</text>\n", x, y + 10,
                 svg::escape(text).c_str()));
    y += 14;
  }
  // dot_fill: drawn as a dot of that fill instead of a line.
  void entry(const std::string& text, const char* colour, const char* dash,
             const char* dot_fill = nullptr) {
    if (dot_fill)
      c.add(format("<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\" stroke=\"%s\"/>\n", x + 11,
                   y + 6, dot_fill, colour));
    else
      c.add(format("<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                   "stroke-width=\"2\"%s/>\n",
                   x, y + 6, x + 22, y + 6, colour, dash));
    c.add(format("<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", x + 28, y + 10,
                 svg::escape(text).c_str()));
    y += 14;
  }
  // One entry per link (or stage) in its colour. With more than there are
  // rows, the last row says how many are not listed (each line still names
  // itself in a hover tooltip).
  void series_entries(const std::map<int, time_series>& series, const char* what) {
    int total = static_cast<int>(series.size()), listed = 0;
    int listable = total <= room() ? total : std::max(0, room() - 1);
    for (const auto& [id, pts] : series)
      if (listed++ < listable) entry(format("%s %d", what, id), svg::series_colour(id), "");
    if (listable < total) note(format("+%d more %ss", total - listable, what));
  }
};

// The panels in use and where they are.
struct layout {
  std::vector<panel> panels;    // bandwidth, bitwidth, throughput, then the optional ones
  size_t latency = 0, busy = 0; // index of the optional panels; 0 when absent
  bits_scale bits;
};

// The panels, stacked from `top` with `gap` pixels between them.
layout make_layout(const series_set& s, bandwidth_scale scale, double top, double gap) {
  layout L;
  std::vector<panel>& panels = L.panels;
  panels.push_back({"bandwidth", "Mbit/s", 0, 220, bandwidth_axis(s, scale)});
  L.bits = make_bits_scale(s);
  panels.push_back({"bitwidth", "bits", 0, 120, {0, L.bits.fp32 * 1.06, false}});
  double most_images = 0, most_ms = 0;
  for (const auto& p : s.images_per_s) most_images = std::max(most_images, p.second);
  for (const auto& p : s.p50_ms) most_ms = std::max(most_ms, p.second);
  panels.push_back({"throughput", "images/s", 0, 150, {0, svg::nice_ceil(most_images * 1.05)}});
  // Optional panels: only when the timeline has their records.
  if (!s.p50_ms.empty()) {
    L.latency = panels.size();
    panels.push_back({"latency", "p50 ms", 0, 110, {0, svg::nice_ceil(most_ms * 1.05)}});
  }
  if (!s.busy_percent.empty()) {
    L.busy = panels.size();
    panels.push_back({"stage busy", "busy %", 0, 110, {0, 100}});
  }
  double y = top;
  for (auto& p : panels) {
    p.top = y;
    p.axis.top = p.top;
    p.axis.bottom = p.bottom();
    y = p.bottom() + gap;
  }
  return L;
}

void draw_data(canvas& c, const series_set& s, const layout& L) {
  for (const auto& [link, pts] : s.configured)
    draw_series(c, L.panels[0], pts,
                {"configured", format("link %d configured", link), svg::series_colour(link),
                 " stroke-dasharray=\"6 4\" opacity=\"0.8\"", true});
  for (const auto& [link, pts] : s.measured)
    draw_series(c, L.panels[0], pts,
                {"measured", format("link %d measured", link), svg::series_colour(link)});
  for (const auto& [link, pts] : s.lower_bound)
    for (const auto& p : pts)
      c.add(format("<circle class=\"lower-bound\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"white\" "
                   "stroke=\"%s\"/>\n",
                   c.x(p.first), L.panels[0].axis.y(p.second), svg::series_colour(link)));
  // Links sharing a bitwidth would hide each other: each is nudged by up to
  // a few pixels (same order as the legend).
  const double n_bits = static_cast<double>(s.bits.size());
  for (const auto& [link, pts] : s.bits) {
    time_series levels = pts;
    for (auto& p : levels) p.second = L.bits.value(p.second);
    double nudge = std::clamp((link - (n_bits - 1) / 2) * 2.0, -6.0, 6.0);
    draw_series(
        c, L.panels[1], levels,
        {"bits", format("link %d bits", link), svg::series_colour(link), "", true, c.t_end, nudge});
  }
  draw_series(c, L.panels[2], s.images_per_s, {"throughput", "images/s", "#222"});
  if (L.latency) draw_series(c, L.panels[L.latency], s.p50_ms, {"latency", "p50 ms", "#555"});
  for (const auto& [stage, pts] : s.busy_percent)
    draw_series(c, L.panels[L.busy], pts,
                {"busy", format("stage %d busy %%", stage), svg::series_colour(stage)});
}

void draw_legends(canvas& c, const series_set& s, const layout& L) {
  legend bw{c, c.right + 12, L.panels[0].top, L.panels[0].bottom()};
  bw.heading("bandwidth per link");
  bw.entry("measured", "#444", "");
  if (!s.configured.empty()) bw.entry("configured", "#444", " stroke-dasharray=\"6 4\"");
  if (!s.lower_bound.empty()) bw.entry("lower bound", "#444", "", "white");
  bw.series_entries(s.measured, "link");
  legend bl{c, c.right + 12, L.panels[1].top, L.panels[1].bottom()};
  bl.heading("bitwidth per link");
  bl.note("colours as above");
  bl.note("fp32: not quantized");
  legend th{c, c.right + 12, L.panels[2].top, L.panels[2].bottom()};
  th.heading("throughput");
  th.entry("images/s (interval)", "#222", "");
  th.entry("plan (epoch)", "#333", "");
  if (!s.notes.empty()) {
    th.entry("fault", "#d62728", " stroke-dasharray=\"4 3\"");
    th.entry("note (hover)", "#777", "", "#777");
  }
  if (L.latency) {
    legend la{c, c.right + 12, L.panels[L.latency].top, L.panels[L.latency].bottom()};
    la.heading("latency");
    la.entry("median (p50)", "#555", "");
  }
  if (L.busy) {
    legend lb{c, c.right + 12, L.panels[L.busy].top, L.panels[L.busy].bottom()};
    lb.heading("stage busy");
    lb.series_entries(s.busy_percent, "stage");
  }
}

} // namespace

double svg_time_axis_end(const std::vector<record>& records) {
  double end = 0;
  for (const auto& r : records)
    if (std::isfinite(time_of(r))) end = std::max(end, time_of(r));
  return end > 0 ? end : 1;
}

std::string render_svg(const std::vector<record>& records, const svg_options& o) {
  series_set s = collect_series(records);
  canvas c;
  c.left = o.margin_left;
  c.right = std::max(o.margin_left + 50, o.width - o.margin_right);
  c.t_end = svg_time_axis_end(records);

  const double band_top = 50, panel_gap = 26;
  layout L = make_layout(s, o.scale, band_top + 3 * 13 + 4, panel_gap);
  const std::vector<panel>& panels = L.panels;
  const bits_scale& bits = L.bits;
  const double last_bottom = panels.back().bottom();
  const double height = last_bottom + 48;

  c.add(format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
               "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
               o.width, height, o.width, height));
  c.add(format("<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"white\"/>\n", o.width,
               height));
  c.add(format("<text x=\"%.2f\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>\n",
               c.left, svg::escape(o.title).c_str()));
  c.add(format("<text x=\"%.2f\" y=\"38\" fill=\"#555\">%zu records, %zu links, %zu plans, "
               "%.1f s</text>\n",
               c.left, records.size(), s.measured.size(), s.plans.size(), c.t_end));
  if (records.empty())
    c.add(format("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" fill=\"#555\">no records"
                 "</text>\n",
                 (c.left + c.right) / 2, panels[0].top + panels[0].height / 2));

  std::vector<double> xs = svg::ticks_between(0, c.t_end, svg::nice_step(c.t_end, 10));
  draw_frame(c, panels[0], labelled(panels[0].axis.ticks()), xs);
  std::vector<std::pair<double, std::string>> bit_ticks;
  for (double b : svg::ticks_between(0, bits.top_bits, bits.top_bits / 4))
    bit_ticks.push_back({b, svg::number(b)});
  bit_ticks.push_back({bits.fp32, "fp32"});
  draw_frame(c, panels[1], bit_ticks, xs);
  for (size_t i = 2; i < panels.size(); ++i)
    draw_frame(c, panels[i], labelled(panels[i].axis.ticks()), xs);

  draw_markers(c, s, panels[0].top, last_bottom, band_top);

  draw_data(c, s, L);
  draw_legends(c, s, L);

  for (double t : xs)
    c.add(format("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", c.x(t),
                 last_bottom + 15, svg::number(t).c_str()));
  c.add(format("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">time since start (s)</text>\n",
               (c.left + c.right) / 2, last_bottom + 34));
  c.add("</svg>\n");
  return c.out;
}

} // namespace edgepipe::runtime
