// The timeline file: every kind written and read back unchanged, each line
// on disk as soon as it is added, and a bad line reported as file:line with
// what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "runtime/timeline.hpp"

using namespace edgepipe;
using namespace edgepipe::runtime;

namespace {

std::string temp_path(const std::string& suffix) {
  return ::testing::TempDir() + "/" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// One record of each kind, with every optional field both set and unset.
std::vector<record> one_of_each() {
  std::vector<record> all;
  all.push_back(link_record{0.25, 0, 93.5, 100.0, 8, false, 1});
  all.push_back(link_record{0.5, 2, 1234.0625, std::nullopt, 0, true, 7});
  all.push_back(stage_record{1.0, 1, "edge-b", 0.875, 41.25, 2});
  all.push_back(throughput_record{1.5, 23.75, 168.5, 40});
  all.push_back(throughput_record{2.0, 0, std::nullopt, 40});
  plan_record p;
  p.t = 3.125;
  p.epoch = 3;
  p.reason = "re-partition: \"stage 1\" is the bottleneck\n(41 ms)";
  p.stages = {{"edge-a", 1, 20}, {"edge-b", 21, 30}, {"edge-c", 31, 48}};
  p.bits = {4, 6, 0};
  p.pause_ms = 182.5;
  all.push_back(p);
  p.epoch = 4;
  p.pause_ms.reset();
  all.push_back(p);
  all.push_back(note_record{4.0, false, "replayed 2 microbatches", ""});
  all.push_back(note_record{4.5, true, "frame from stage 1 failed to decode", "edge-c"});
  return all;
}

void expect_same(const record& a, const record& b) {
  ASSERT_EQ(a.index(), b.index());
  EXPECT_EQ(time_of(a), time_of(b));
  if (auto* x = std::get_if<link_record>(&a)) {
    auto& y = std::get<link_record>(b);
    EXPECT_EQ(x->link, y.link);
    EXPECT_EQ(x->mbps, y.mbps);
    EXPECT_EQ(x->configured_mbps, y.configured_mbps);
    EXPECT_EQ(x->bits, y.bits);
    EXPECT_EQ(x->lower_bound, y.lower_bound);
    EXPECT_EQ(x->epoch, y.epoch);
  } else if (auto* x = std::get_if<stage_record>(&a)) {
    auto& y = std::get<stage_record>(b);
    EXPECT_EQ(x->stage, y.stage);
    EXPECT_EQ(x->node, y.node);
    EXPECT_EQ(x->busy, y.busy);
    EXPECT_EQ(x->ms_per_microbatch, y.ms_per_microbatch);
    EXPECT_EQ(x->epoch, y.epoch);
  } else if (auto* x = std::get_if<throughput_record>(&a)) {
    auto& y = std::get<throughput_record>(b);
    EXPECT_EQ(x->images_per_s, y.images_per_s);
    EXPECT_EQ(x->p50_ms, y.p50_ms);
    EXPECT_EQ(x->answered, y.answered);
  } else if (auto* x = std::get_if<plan_record>(&a)) {
    auto& y = std::get<plan_record>(b);
    EXPECT_EQ(x->epoch, y.epoch);
    EXPECT_EQ(x->reason, y.reason);
    ASSERT_EQ(x->stages.size(), y.stages.size());
    for (size_t i = 0; i < x->stages.size(); ++i) {
      EXPECT_EQ(x->stages[i].node, y.stages[i].node);
      EXPECT_EQ(x->stages[i].first, y.stages[i].first);
      EXPECT_EQ(x->stages[i].last, y.stages[i].last);
    }
    EXPECT_EQ(x->bits, y.bits);
    EXPECT_EQ(x->pause_ms, y.pause_ms);
  } else {
    auto& x2 = std::get<note_record>(a);
    auto& y = std::get<note_record>(b);
    EXPECT_EQ(x2.fault, y.fault);
    EXPECT_EQ(x2.text, y.text);
    EXPECT_EQ(x2.node, y.node);
  }
}

} // namespace

TEST(Timeline, EveryKindRoundTripsThroughTheFile) {
  std::string path = temp_path(".jsonl");
  timeline tl;
  ASSERT_TRUE(tl.stream_to(path));
  auto all = one_of_each();
  for (const auto& r : all) ASSERT_TRUE(tl.add(r));
  auto back = read_timeline(path);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    expect_same(all[i], (*back)[i]);
    EXPECT_STREQ(kind_of(all[i]), kind_of((*back)[i]));
  }
}

TEST(Timeline, LinesStartWithTimeAndKindAndOmitUnknownOptionals) {
  EXPECT_EQ(to_json_line(link_record{0.5, 2, 1234.0625, std::nullopt, 0, true, 7}),
            R"({"t":0.5,"kind":"link","link":2,"mbps":1234.0625,"bits":0,"lower_bound":true,)"
            R"("epoch":7})");
  EXPECT_EQ(to_json_line(throughput_record{2.0, 0, std::nullopt, 40}),
            R"({"t":2.0,"kind":"throughput","images_per_s":0.0,"answered":40})");
  EXPECT_EQ(to_json_line(note_record{4.5, true, "lost", "edge-c"}),
            R"({"t":4.5,"kind":"fault","text":"lost","node":"edge-c"})");
}

TEST(Timeline, EachAddedLineIsOnDiskBeforeTheNextAdd) {
  std::string path = temp_path(".jsonl");
  timeline tl;
  ASSERT_TRUE(tl.stream_to(path));
  std::string expected;
  for (const auto& r : one_of_each()) {
    ASSERT_TRUE(tl.add(r));
    expected += to_json_line(r) + "\n";
    // Read through another handle while the timeline still holds the file.
    EXPECT_EQ(slurp(path), expected);
  }
  EXPECT_EQ(tl.records().size(), one_of_each().size());
}

TEST(Timeline, RefusesARecordTheReaderWouldReject) {
  std::string path = temp_path(".jsonl");
  timeline tl;
  ASSERT_TRUE(tl.stream_to(path));
  auto r = tl.add(link_record{1.0, 0, std::nan(""), std::nullopt, 8, false, 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_NE(r.error().message.find("'mbps'"), std::string::npos) << r.error().message;
  EXPECT_FALSE(tl.add(stage_record{1.0, 0, "a", 1.25, 3, 1}));
  EXPECT_TRUE(tl.records().empty());
  EXPECT_EQ(slurp(path), "");
}

TEST(Timeline, AFailedWriteIsReportedAndTheRecordKept) {
  // /dev/full accepts the open and fails every flush with ENOSPC.
  timeline tl;
  ASSERT_TRUE(tl.stream_to("/dev/full"));
  auto r = tl.add(note_record{1, false, "x", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  EXPECT_NE(r.error().message.find("/dev/full"), std::string::npos) << r.error().message;
  EXPECT_EQ(tl.records().size(), 1u);
}

TEST(Timeline, KeepsRecordsInMemoryWithoutAFile) {
  timeline tl(5'000'000'000);
  EXPECT_DOUBLE_EQ(tl.seconds_since_start(6'500'000'000), 1.5);
  ASSERT_TRUE(tl.add(throughput_record{tl.seconds_since_start(6'500'000'000), 10, 5.0, 2}));
  ASSERT_EQ(tl.records().size(), 1u);
  EXPECT_EQ(time_of(tl.records()[0]), 1.5);
}

TEST(Timeline, StreamToAnUnwritablePathSaysWhich) {
  timeline tl;
  auto r = tl.stream_to("/nonexistent-dir/run.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  EXPECT_NE(r.error().message.find("/nonexistent-dir/run.jsonl"), std::string::npos);
}

TEST(Timeline, PlanRecordNamesTheNodes) {
  plan p;
  p.epoch = 5;
  p.stages = {{2, 1, 8}, {0, 9, 24}, {7, 25, 48}};
  p.bits = {8, 4, 0};
  auto r = make_plan_record(2.5, p, {"a", "b", "c"}, "bits changed");
  EXPECT_EQ(r.epoch, 5u);
  EXPECT_EQ(r.t, 2.5);
  EXPECT_EQ(r.reason, "bits changed");
  ASSERT_EQ(r.stages.size(), 3u);
  EXPECT_EQ(r.stages[0].node, "c");
  EXPECT_EQ(r.stages[1].node, "a");
  EXPECT_EQ(r.stages[2].node, "node 7"); // not in the list: named by index
  EXPECT_EQ(r.stages[1].first, 9);
  EXPECT_EQ(r.stages[1].last, 24);
  EXPECT_EQ(r.bits, p.bits);
  EXPECT_EQ(check_record(r), "");
}

TEST(Timeline, ShippedExampleRewritesToTheSameBytes) {
  // The example was written by another program (Python's json): reading it
  // and writing each record again must give the very same lines.
  std::string path = std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/timeline/example.jsonl";
  auto records = read_timeline(path);
  ASSERT_TRUE(records) << records.error().message;
  std::string rewritten;
  for (const auto& r : *records) rewritten += to_json_line(r) + "\n";
  EXPECT_EQ(rewritten, slurp(path));
}

struct bad_line {
  std::string text;  // the file's content
  std::string where; // expected ":line: ..." message part
};

TEST(Timeline, ReaderReportsFileLineAndWhatIsWrong) {
  const std::string ok_link = R"({"t":1,"kind":"link","link":0,"mbps":9.5,"bits":8,)"
                              R"("lower_bound":false,"epoch":1})";
  const std::string ok_plan = R"({"t":0,"kind":"plan","epoch":1,"reason":"r","stages":)"
                              R"([{"node":"a","first":1,"last":16},{"node":"b","first":17,)"
                              R"("last":48}],"bits":[8,0]})";
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  std::vector<bad_line> cases = {
      {"{\"t\":1,", ":1: not valid JSON"},
      {"[1,2]", ":1: expected a JSON object"},
      {ok_link + "\n" + ok_plan + "\n" + replace(ok_link, "\"mbps\":9.5,", ""),
       ":3: link record: missing field 'mbps'"},
      {ok_link + "\n\n" + replace(ok_link, "\"bits\":8", "\"bits\":\"8\""),
       ":3: link record: field 'bits' must be an integer"},
      {replace(ok_link, "\"bits\":8", "\"bits\":17"),
       ":1: link record: field 'bits' must be in 0..16, got 17"},
      {replace(ok_link, "\"t\":1", "\"t\":-0.5"),
       ":1: link record: field 't' must be a number >= 0"},
      {replace(ok_link, "\"epoch\":1", "\"epoch\":0"),
       ":1: link record: field 'epoch' must be >= 1"},
      {replace(ok_link, "\"epoch\":1", "\"epoch\":-2"),
       ":1: link record: field 'epoch' must be an integer >= 1"},
      {replace(ok_link, "\"lower_bound\":false", "\"lower_bound\":0"),
       ":1: link record: field 'lower_bound' must be true or false"},
      {replace(ok_link, "\"kind\":\"link\"", "\"kind\":\"linky\""),
       ":1: unknown kind 'linky' (expected link, stage, throughput, plan, note or fault)"},
      {replace(ok_link, "\"kind\":\"link\",", ""), ":1: missing field 'kind'"},
      {R"({"t":1,"kind":"stage","stage":0,"node":"a","busy":1.5,"ms_per_microbatch":3,"epoch":1})",
       ":1: stage record: field 'busy' must be a fraction in 0..1, got 1.5"},
      {R"({"t":1,"kind":"throughput","images_per_s":3})", ":1: throughput record: missing field "
                                                          "'answered'"},
      {replace(ok_plan, "\"first\":17", "\"first\":18"),
       ":1: plan record: field 'stages[1].first' must be 17"},
      {replace(ok_plan, "\"last\":48", "\"last\":\"x\""),
       ":1: plan record: field 'stages[1].last' must be an integer"},
      {replace(ok_plan, "[8,0]", "[8]"),
       ":1: plan record: field 'bits' must have one entry per stage (2), got 1"},
      {replace(ok_plan, "\"stages\":[", "\"stages\":[7,"),
       ":1: plan record: field 'stages[0]' must be an object"},
      {R"({"t":1,"kind":"note","text":""})", ":1: note record: field 'text' must not be empty"},
  };
  std::string path = temp_path(".jsonl");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    write_text(path, c.text + "\n");
    auto r = read_timeline(path);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_input);
    EXPECT_EQ(r.error().message.rfind(path + c.where, 0), 0u) << r.error().message;
  }
}

TEST(Timeline, ReaderSkipsBlankLinesAndNamesAMissingFile) {
  std::string path = temp_path(".jsonl");
  write_text(path, "\n" + to_json_line(note_record{1, false, "x", ""}) + "\n  \n");
  auto r = read_timeline(path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->size(), 1u);
  auto missing = read_timeline(path + ".absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_NE(missing.error().message.find(path + ".absent"), std::string::npos);
}
