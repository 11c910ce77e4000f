// `edgepipe run` with real node processes while the network changes under
// it (emulated links following a trace):
//  - a link between two stages drops to a rate its float32 frames cannot
//    use: the re-planner must re-partition mid-run (epoch 2), every request
//    is answered once, and the accuracy is the single model's (float32
//    links: the partition cannot change a prediction);
//  - an adaptive link drops and recovers: the timeline shows its bits going
//    down to the minimum in the low phase and back to the maximum after.
// Both use the shipped Fashion-MNIST model and the Debian data set.
#include <gtest/gtest.h>

#include <cmath>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "runtime/timeline.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

const std::string& model_dir = test::fashion_model_dir;
const std::string& data_dir = test::fashion_data_dir;

std::string two_local_nodes() {
  return test::local_nodes_yaml({"a", "b"});
}

// Two local nodes split at `cut` (a: 1..cut, b: the rest) over one adaptive
// link (2..8 bits, target 100 images/s) whose rate follows `trace`, running
// `images` synthetic images in microbatches of 8.
std::string adaptive_trace_yaml(const std::string& name, const std::string& dtype, int cut,
                                const std::string& trace, int images) {
  return "name: " + name + "\n" + two_local_nodes() + "model:\n  dir: " + model_dir +
         "\n  dtype: " + dtype + "\npartition:\n  - {node: a, layers: [1, " + std::to_string(cut) +
         "]}\n  - {node: b, layers: [" + std::to_string(cut + 1) +
         ", 24]}\n"
         "quantization:\n  bits: adaptive\n  min_bits: 2\n  max_bits: 8\n"
         "links:\n  overrides:\n"
         "    - {from: a, to: b, trace: " +
         trace + "}\nworkload:\n  synthetic: true\n  count: " + std::to_string(images) +
         "\n  microbatch: 8\n  window: 2\n"
         "planner:\n  target_images_per_s: 100\n"
         "runtime:\n  run_timeout_s: 50\n";
}

class LiveChangesTest : public ::testing::Test {
protected:
  void SetUp() override { EDGEPIPE_SKIP_WITHOUT_FASHION(); }
  std::string write_topology(const std::string& yaml) {
    std::string path = dir.path + "/topology.yaml";
    test::write_file(path, yaml);
    return path;
  }
  test::temp_dir dir;
};

// Explicit partition a [1..12] -> b [13..24] with float32 links; from t = 1 s
// the link a -> b carries 2 Mbit/s: one microbatch's 819 kbit frame takes
// 0.4 s, while a plan without that link computes it in milliseconds. The
// re-planner must switch; nothing may be lost or answered twice, and since
// every link is float32 the predictions are the single model's: the accuracy
// equals `edgepipe eval` on the same images and microbatches.
TEST_F(LiveChangesTest, RepartitionMidRunAnswersEverythingOnceWithTheSameAccuracy) {
  const int images = 4000, microbatch = 8;
  std::string yaml = "name: replan-mid-run\n" + two_local_nodes() + "model:\n  dir: " + model_dir +
                     "\n"
                     "partition:\n  - {node: a, layers: [1, 12]}\n  - {node: b, layers: [13, 24]}\n"
                     "quantization:\n  bits: 0\n"
                     "links:\n  overrides:\n"
                     "    - {from: a, to: b, trace: [[0, 1000], [1, 2]]}\n" +
                     test::fashion_workload_yaml(images, microbatch) +
                     "planner:\n  replan: true\n  min_interval_s: 1\n  switch_cost_s: 0.1\n"
                     "runtime:\n  run_timeout_s: 50\n";
  auto r = test::run_edgepipe({"run", write_topology(yaml), "--json"}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  const int requests = images / microbatch;
  EXPECT_EQ(j["requests"], requests);
  EXPECT_EQ(j["answered"], requests);
  EXPECT_EQ(j["lost"], 0);
  // Arrivals of an answered microbatch (a replay sent just before the
  // source heard of the answer) are dropped by the sink, never delivered.
  EXPECT_LE(j["duplicates"].get<int>(), j["replayed"].get<int>());
  EXPECT_EQ(j["images"], images);
  EXPECT_TRUE(j["given_up"].empty()) << j["given_up"];

  // Epoch 1 is the file's partition; a later epoch no longer sends a's
  // output over the slow link.
  const auto& changes = j["plan_changes"];
  ASSERT_GE(changes.size(), 2u) << j.dump(2) << "\n" << r.err;
  EXPECT_EQ(changes[0]["epoch"], 1);
  ASSERT_EQ(changes[0]["stages"].size(), 2u);
  EXPECT_EQ(changes[0]["stages"][0]["node"], "a");
  EXPECT_EQ(changes[0]["stages"][0]["last"], 12);
  EXPECT_EQ(changes[1]["epoch"], 2);
  EXPECT_FALSE(changes[1]["reason"].get<std::string>().empty());
  EXPECT_GE(changes[1]["t"].get<double>(), 1.0) << "switched before the link dropped";
  const auto& last_stages = changes.back()["stages"];
  for (size_t i = 0; i + 1 < last_stages.size(); ++i)
    EXPECT_FALSE(last_stages[i]["node"] == "a" && last_stages[i + 1]["node"] == "b")
        << "the final plan still sends a -> b: " << last_stages;
  // The microbatches in flight at the switch were replayed, and what the
  // old stages still delivered was dropped, never delivered twice.
  EXPECT_GT(j["replayed"].get<int>(), 0);

  // Same images, same microbatches, float32 everywhere: the same count of
  // correct predictions.
  EXPECT_EQ(std::lround(j["accuracy"].get<double>() * images),
            test::fashion_eval_correct(images, microbatch))
      << "run accuracy " << j["accuracy"];
}

// One adaptive link (bits 2..8) between two stages, with a target of
// 100 images/s (period 80 ms for a microbatch of 8). a [1..12] sends b the
// residual stream, 8 x 50 x 64 values: at 8 bits a 205 kbit frame, 41 ms at
// 5 Mbit/s (fits); at 0.5 Mbit/s even 2 bits take 102 ms (nothing fits: the
// minimum). The trace is 5 -> 0.5 (from 4 s) -> 5 (from 8 s).
TEST_F(LiveChangesTest, TraceDrivenLinkBitsDropAndRecoverInTheTimeline) {
  const int images = 2000, microbatch = 8;
  std::string timeline_path = dir.path + "/timeline.jsonl";
  std::string yaml =
      adaptive_trace_yaml("trace-bits", "f32", 12, "[[0, 5], [4, 0.5], [8, 5]]", images);
  auto r =
      test::run_edgepipe({"run", write_topology(yaml), "--json", "--timeline", timeline_path}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["answered"], images / microbatch);
  EXPECT_EQ(j["lost"], 0);

  auto records = runtime::read_timeline(timeline_path);
  ASSERT_TRUE(records) << records.error().message;
  bool plan_seen = false;
  int low_phase_min_bits = 99;
  bool low_rate_measured = false;
  double last_t = -1;
  int last_bits = -1;
  std::string link0;
  for (const auto& rec : *records) {
    if (const auto* p = std::get_if<runtime::plan_record>(&rec)) {
      if (p->epoch == 1) plan_seen = true;
      continue;
    }
    const auto* l = std::get_if<runtime::link_record>(&rec);
    if (!l || l->link != 0) continue;
    link0 += runtime::to_json_line(rec) + "\n";
    if (l->t >= 4 && l->t < 8) {
      low_phase_min_bits = std::min(low_phase_min_bits, l->bits);
      if (!l->lower_bound && l->mbps < 1.0) low_rate_measured = true;
      if (l->t >= 4.5) {
        ASSERT_TRUE(l->configured_mbps.has_value());
        EXPECT_EQ(*l->configured_mbps, 0.5);
      }
    }
    if (l->t > last_t) {
      last_t = l->t;
      last_bits = l->bits;
    }
  }
  EXPECT_TRUE(plan_seen) << "no plan record of epoch 1";
  EXPECT_EQ(low_phase_min_bits, 2) << link0;
  EXPECT_TRUE(low_rate_measured) << "the drop never showed in the measured rate\n" << link0;
  EXPECT_GT(last_t, 8.0) << "the run ended before the link recovered\n" << link0;
  EXPECT_EQ(last_bits, 8) << "bits did not come back to the maximum\n" << link0;
}

// int8 with a cut inside block 4 (after layer 13): while the adaptive link
// sends 8 bits, main crosses as its s8 codes; below 8 it goes through the
// codec. The link runs at 20 Mbit/s (8 bits fit the target), 0.5 from 4 s
// (2 bits), 20 again from 8 s. The test hook doubles the step of the first
// s8 frame at or after microbatches 5 and 450 (and leaves any other frame
// alone): the receiver refuses both, the second only if the link came back
// to s8 frames after its bits had dropped and recovered.
TEST_F(LiveChangesTest, AnInt8LinkSendsS8AgainOnceItsBitsReturnTo8) {
  const int images = 4000, microbatch = 8;
  std::string timeline_path = dir.path + "/timeline.jsonl";
  std::string yaml =
      adaptive_trace_yaml("s8-adaptive", "int8", 13, "[[0, 20], [4, 0.5], [8, 20]]", images);
  auto r =
      test::run_program("env",
                        {"EDGEPIPE_TEST_CORRUPT_FRAMES=1:5:step,1:450:step", EDGEPIPE_BINARY, "run",
                         write_topology(yaml), "--json", "--quiet", "--timeline", timeline_path},
                        60, 5);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["answered"], images / microbatch);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_EQ(j["replayed"], 2);

  auto records = runtime::read_timeline(timeline_path);
  ASSERT_TRUE(records) << records.error().message;
  int low_phase_min_bits = 99;
  std::vector<double> refused_t;
  std::string link0;
  for (const auto& rec : *records) {
    if (const auto* l = std::get_if<runtime::link_record>(&rec); l && l->link == 0) {
      link0 += runtime::to_json_line(rec) + "\n";
      if (l->t >= 4 && l->t < 8) low_phase_min_bits = std::min(low_phase_min_bits, l->bits);
    }
    if (const auto* n = std::get_if<runtime::note_record>(&rec))
      if (n->fault && n->text.find("link 1 main frame field 'step':") != std::string::npos)
        refused_t.push_back(n->t);
  }
  EXPECT_LT(low_phase_min_bits, 8) << "the link never left 8 bits\n" << link0;
  ASSERT_EQ(refused_t.size(), 2u) << link0;
  EXPECT_LT(refused_t[0], 4.0) << "the first s8 frame came late";
  EXPECT_GT(refused_t[1], 8.0) << "no s8 frame after the bits came back\n" << link0;
}

} // namespace
