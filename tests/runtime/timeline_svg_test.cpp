// The timeline plot: well-formed XML whatever the input, one line per link
// series, each plan change at the x its time maps to, and the same bytes for
// the same records in any order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "runtime/timeline_svg.hpp"
#include "xml_check.hpp"

using namespace edgepipe;
using namespace edgepipe::runtime;

namespace {

std::vector<const test::xml_element*> find_all(const test::xml_document& d, const std::string& name,
                                               const std::string& cls = "") {
  std::vector<const test::xml_element*> out;
  for (const auto& e : d.elements) {
    if (e.name != name) continue;
    auto it = e.attributes.find("class");
    if (!cls.empty() && (it == e.attributes.end() || it->second != cls)) continue;
    out.push_back(&e);
  }
  return out;
}

// The first x of a polyline's "x,y x,y ..." points, and how many points.
std::pair<double, size_t> first_x_and_count(const test::xml_element& polyline) {
  const std::string& p = polyline.attributes.at("points");
  size_t count = p.empty() ? 0 : std::count(p.begin(), p.end(), ' ') + 1;
  return {std::strtod(p.c_str(), nullptr), count};
}

// A small run: links 0 and 1 emulated, link 2 not; plans at 0, 12.5 and 30.
std::vector<record> small_run() {
  std::vector<record> r;
  plan_record p;
  p.t = 0;
  p.epoch = 1;
  p.reason = "initial <plan> & \"profiles\"";
  p.stages = {{"a", 1, 8}, {"b", 9, 16}, {"c", 17, 24}};
  p.bits = {8, 8, 0};
  r.push_back(p);
  for (int k = 1; k <= 40; ++k) {
    double t = k;
    int epoch = t > 30 ? 3 : t > 12.5 ? 2 : 1;
    int bits0 = epoch >= 2 ? 4 : 8;
    r.push_back(link_record{t, 0, 50.0 + k, 100.0, bits0, false, static_cast<uint64_t>(epoch)});
    r.push_back(link_record{t, 1, 30.0 + k % 3, 60.0, 8, k % 2 == 0, static_cast<uint64_t>(epoch)});
    r.push_back(link_record{t, 2, 900.0 + k, std::nullopt, 0, true, static_cast<uint64_t>(epoch)});
    r.push_back(throughput_record{t, 20.0 + k % 5, 100.0 + k, k * 4});
    r.push_back(stage_record{t, 0, "a", 0.5, 20, static_cast<uint64_t>(epoch)});
    r.push_back(stage_record{t, 1, "b", 0.25 + k % 4 * 0.1, 30, static_cast<uint64_t>(epoch)});
  }
  p.t = 12.5;
  p.epoch = 2;
  p.reason = "bits 8 -> 4";
  p.bits = {4, 8, 0};
  r.push_back(p);
  p.t = 30;
  p.epoch = 3;
  p.reason = "re-partition";
  p.stages = {{"a", 1, 10}, {"b", 11, 16}, {"c", 17, 24}};
  p.pause_ms = 120;
  r.push_back(p);
  r.push_back(note_record{20.25, true, "node b: frame undecodable", "b"});
  return r;
}

} // namespace

TEST(TimelineSvg, IsWellFormedWithOneLinePerSeries) {
  std::string svg = render_svg(small_run());
  auto doc = test::parse_xml(svg);
  ASSERT_EQ(doc.error, "") << svg;
  EXPECT_EQ(doc.elements[0].name, "svg");
  EXPECT_EQ(find_all(doc, "polyline", "measured").size(), 3u);   // links 0, 1, 2
  EXPECT_EQ(find_all(doc, "polyline", "configured").size(), 2u); // links 0, 1 are emulated
  EXPECT_EQ(find_all(doc, "polyline", "bits").size(), 3u);
  EXPECT_EQ(find_all(doc, "polyline", "throughput").size(), 1u);
  EXPECT_EQ(find_all(doc, "polyline", "latency").size(), 1u);
  EXPECT_EQ(find_all(doc, "polyline", "busy").size(), 2u); // stages 0 and 1
  EXPECT_EQ(find_all(doc, "g", "fault").size(), 1u);
  // Lower bounds: link 1 on even k (20 samples) and link 2 always (40).
  EXPECT_EQ(find_all(doc, "circle", "lower-bound").size(), 60u);
  // The reason's markup characters arrive as text, not as tags.
  EXPECT_NE(svg.find("initial &lt;plan&gt; &amp; &quot;profiles&quot;"), std::string::npos);
}

TEST(TimelineSvg, PlanMarkersAndSamplesSitWhereTheTimeAxisPutsThem) {
  svg_options o;
  o.width = 1000;
  o.margin_left = 80;
  o.margin_right = 200;
  auto records = small_run();
  double t_end = 0;
  for (const auto& r : records) t_end = std::max(t_end, time_of(r));
  ASSERT_EQ(t_end, 40.0);
  ASSERT_EQ(svg_time_axis_end(records), t_end);
  auto x_of = [&](double t) { return 80 + t / 40.0 * (1000 - 80 - 200); };

  auto doc = test::parse_xml(render_svg(records, o));
  ASSERT_EQ(doc.error, "");
  auto markers = find_all(doc, "g", "plan-change");
  ASSERT_EQ(markers.size(), 3u);
  const double plan_t[] = {0, 12.5, 30};
  for (size_t i = 0; i < markers.size(); ++i) {
    EXPECT_EQ(markers[i]->attributes.at("data-epoch"), std::to_string(i + 1));
    // The marker's line is its child element; coordinates carry 2 decimals.
    const test::xml_element* line = nullptr;
    const test::xml_element* title = nullptr;
    for (const auto& e : doc.elements) {
      if (e.parent != markers[i] - doc.elements.data()) continue;
      if (e.name == "line") line = &e;
      if (e.name == "title") title = &e;
    }
    ASSERT_NE(line, nullptr);
    ASSERT_NE(title, nullptr);
    EXPECT_NEAR(std::stod(line->attributes.at("x1")), x_of(plan_t[i]), 0.005);
    EXPECT_EQ(line->attributes.at("x1"), line->attributes.at("x2")); // vertical
    EXPECT_NE(title->text.find("epoch " + std::to_string(i + 1)), std::string::npos);
  }
  // The 3rd plan's tooltip tells its pause and its stages.
  auto doc_title = [&](size_t i) {
    for (const auto& e : doc.elements)
      if (e.parent == markers[i] - doc.elements.data() && e.name == "title") return e.text;
    return std::string();
  };
  EXPECT_NE(doc_title(2).find("pause 120.0 ms"), std::string::npos) << doc_title(2);
  EXPECT_NE(doc_title(2).find("a [1..10] -&gt; b [11..16]"), std::string::npos) << doc_title(2);
  // Each link's measured line starts at its first sample (t = 1) and has one
  // point per sample.
  for (const auto* m : find_all(doc, "polyline", "measured")) {
    auto [x0, n] = first_x_and_count(*m);
    EXPECT_NEAR(x0, x_of(1), 0.005);
    EXPECT_EQ(n, 40u);
  }
}

TEST(TimelineSvg, SameRecordsInAnyOrderGiveTheSameBytes) {
  auto records = small_run();
  std::string first = render_svg(records);
  EXPECT_EQ(render_svg(records), first);
  std::mt19937 rng(11);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(records.begin(), records.end(), rng);
    EXPECT_EQ(render_svg(records), first) << "shuffle round " << round;
  }
}

TEST(TimelineSvg, NoRecordsStillDrawsTheFrame) {
  std::string svg = render_svg({});
  auto doc = test::parse_xml(svg);
  ASSERT_EQ(doc.error, "") << svg;
  EXPECT_TRUE(find_all(doc, "polyline").empty());
  EXPECT_NE(svg.find(">no records<"), std::string::npos);
  // No latency or stage panel without their records.
  EXPECT_EQ(find_all(doc, "g", "panel").size(), 3u);
}

TEST(TimelineSvg, OneRecordIsADot) {
  std::vector<record> one = {link_record{0, 0, 10, std::nullopt, 8, false, 1}};
  std::string svg = render_svg(one);
  auto doc = test::parse_xml(svg);
  ASSERT_EQ(doc.error, "") << svg;
  ASSERT_EQ(find_all(doc, "polyline", "measured").size(), 1u);
  EXPECT_EQ(first_x_and_count(*find_all(doc, "polyline", "measured")[0]).second, 1u);
  EXPECT_FALSE(find_all(doc, "circle").empty());
  EXPECT_EQ(svg_time_axis_end(one), 1.0); // a zero-length run gets a 1 s axis
}

TEST(TimelineSvg, ManyLinksAllDrawnAndTheLegendSaysHowManyAreNotListed) {
  std::vector<record> r;
  const int links = 25;
  for (int l = 0; l < links; ++l)
    for (int k = 0; k < 5; ++k)
      r.push_back(link_record{k * 0.5, l, 10.0 + l, std::nullopt, 8, false, 1});
  std::string svg = render_svg(r);
  auto doc = test::parse_xml(svg);
  ASSERT_EQ(doc.error, "") << svg;
  EXPECT_EQ(find_all(doc, "polyline", "measured").size(), static_cast<size_t>(links));
  EXPECT_EQ(find_all(doc, "polyline", "bits").size(), static_cast<size_t>(links));
  int listed = 0, more = -1;
  for (const auto* t : find_all(doc, "text")) {
    if (t->text.rfind("link ", 0) == 0) ++listed;
    if (t->text.find("more links") != std::string::npos) more = std::atoi(t->text.c_str() + 1);
  }
  ASSERT_GT(more, 0) << "no '+N more links' entry";
  EXPECT_EQ(listed + more, links);
}

TEST(TimelineSvg, BandwidthAxisIsLogOnlyForWideRanges) {
  auto tick_labels = [](const std::string& svg) {
    // The bandwidth panel's y labels: right-aligned texts in its group.
    auto doc = test::parse_xml(svg);
    std::vector<std::string> labels;
    int panel = -1;
    for (size_t i = 0; i < doc.elements.size(); ++i) {
      const auto& e = doc.elements[i];
      if (e.name == "g" && e.attributes.count("data-name") &&
          e.attributes.at("data-name") == "bandwidth")
        panel = static_cast<int>(i);
      if (panel >= 0 && e.parent == panel && e.name == "text" &&
          e.attributes.count("text-anchor") && e.attributes.at("text-anchor") == "end")
        labels.push_back(e.text);
    }
    return labels;
  };
  std::vector<record> narrow = {link_record{1, 0, 40, 80.0, 8, false, 1},
                                link_record{2, 0, 60, 80.0, 8, false, 1}};
  auto linear = tick_labels(render_svg(narrow));
  ASSERT_FALSE(linear.empty());
  EXPECT_EQ(linear.front(), "0"); // a linear axis starts at 0
  std::vector<record> wide = {link_record{1, 0, 4, 80.0, 8, false, 1},
                              link_record{2, 1, 900, std::nullopt, 0, false, 1}};
  auto log = tick_labels(render_svg(wide));
  EXPECT_EQ(std::count(log.begin(), log.end(), "0"), 0);
  EXPECT_NE(std::find(log.begin(), log.end(), "10"), log.end());
  EXPECT_NE(std::find(log.begin(), log.end(), "100"), log.end());
  // Forced either way by the option.
  svg_options o;
  o.scale = bandwidth_scale::linear;
  EXPECT_EQ(tick_labels(render_svg(wide, o)).front(), "0");
  o.scale = bandwidth_scale::log;
  auto forced = tick_labels(render_svg(narrow, o));
  EXPECT_EQ(std::count(forced.begin(), forced.end(), "0"), 0);
}

TEST(TimelineSvg, AStalledLinkSitsOnTheBottomOfALogAxis) {
  // 0 Mbit/s has no place on a log axis: it is drawn on the panel's bottom edge.
  std::vector<record> r = {link_record{1, 0, 500, std::nullopt, 8, false, 1},
                           link_record{2, 0, 0, std::nullopt, 8, false, 1},
                           link_record{3, 0, 2, std::nullopt, 8, false, 1}};
  svg_options o;
  o.scale = bandwidth_scale::log;
  auto doc = test::parse_xml(render_svg(r, o));
  ASSERT_EQ(doc.error, "");
  double bottom = -1;
  for (size_t i = 0; i < doc.elements.size(); ++i) {
    const auto& e = doc.elements[i];
    if (e.name == "rect" && e.parent >= 0 && doc.elements[e.parent].attributes.count("data-name") &&
        doc.elements[e.parent].attributes.at("data-name") == "bandwidth")
      bottom = std::stod(e.attributes.at("y")) + std::stod(e.attributes.at("height"));
  }
  ASSERT_GT(bottom, 0);
  auto measured = find_all(doc, "polyline", "measured");
  ASSERT_EQ(measured.size(), 1u);
  // The second point's y ("x,y x,y x,y").
  std::string pts = measured[0]->attributes.at("points");
  size_t second = pts.find(' ') + 1;
  double y = std::stod(pts.substr(pts.find(',', second) + 1));
  EXPECT_NEAR(y, bottom, 0.005);
}

TEST(XmlCheck, RejectsWhatIsNotWellFormed) {
  // The checker itself must be able to fail, or the tests above prove nothing.
  EXPECT_EQ(test::parse_xml("<a><b/></a>").error, "");
  EXPECT_NE(test::parse_xml("<a><b></a>").error, "");
  EXPECT_NE(test::parse_xml("<a>x & y</a>").error, "");
  EXPECT_NE(test::parse_xml("<a t=\"<\"/>").error, "");
  EXPECT_NE(test::parse_xml("<a t=1/>").error, "");
  EXPECT_NE(test::parse_xml("<a>").error, "");
  EXPECT_NE(test::parse_xml("<a/><b/>").error, "");
  EXPECT_NE(test::parse_xml("<a x=\"1\" x=\"2\"/>").error, "");
}
