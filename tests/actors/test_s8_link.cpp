// An int8 pipeline whose links cross blocks in the middle (`edgepipe run`
// with three `edgepipe node` processes, the shipped Fashion-MNIST ViT): after
// layer 13 (4k+1: the attention context) and after layer 15 (4k+3: fc1's
// output), at 8 bits. The main tensors cross as their s8 codes with the
// calibrated step (codecs::encode_s8): the test hook doubles the step of one
// frame on each link, and each receiving stage must refuse it by naming the
// step and its own calibrated one (so the frames on both links really are s8
// frames, checked against the receiver's calibration) and the source replays
// it. The predictions count as many correct as the single-process
// `edgepipe eval --dtype int8` cut at the same layers with 8-bit links (the
// same arithmetic), and within 2 images of the unsplit int8 model: main's
// crossing is exact (tests/runtime/s8_boundary_test.cpp), but the residual
// stream beside it still goes through the 8-bit codec, which can flip a
// borderline image (on the development machine: 1 of 800).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "runtime/timeline.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

const std::string& model_dir = test::fashion_model_dir;
const std::string& data_dir = test::fashion_data_dir;

TEST(S8Link, Int8PipelineCutInsideBlocksSendsS8AndMatchesTheSplitEval) {
  EDGEPIPE_SKIP_WITHOUT_FASHION();
  const int images = 800, microbatch = 8, requests = images / microbatch;
  test::temp_dir dir;
  const std::string topology = dir.path + "/topology.yaml";
  test::write_file(topology, "name: s8-links\n" + test::local_nodes_yaml({"a", "b", "c"}) +
                                 "model:\n  dir: " + model_dir +
                                 "\n  dtype: int8\n"
                                 "partition:\n  - {node: a, layers: [1, 13]}\n"
                                 "  - {node: b, layers: [14, 15]}\n"
                                 "  - {node: c, layers: [16, 24]}\n"
                                 "quantization:\n  bits: 8\n" +
                                 test::fashion_workload_yaml(images, microbatch) +
                                 "runtime:\n  run_timeout_s: 100\n");
  const std::string timeline = dir.path + "/timeline.jsonl";
  auto r = test::run_program("env",
                             {"EDGEPIPE_TEST_CORRUPT_FRAMES=1:10:step,2:20:step", EDGEPIPE_BINARY,
                              "run", topology, "--json", "--quiet", "--timeline", timeline},
                             120, 5);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["requests"], requests);
  EXPECT_EQ(j["answered"], requests);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_TRUE(j["given_up"].empty()) << j["given_up"];
  EXPECT_GE(j["replayed"].get<int>(), 2);

  // Both links carried s8 frames, each checked against the receiver's step.
  auto records = runtime::read_timeline(timeline);
  ASSERT_TRUE(records) << records.error().message;
  std::string notes;
  for (const auto& rec : *records)
    if (const auto* n = std::get_if<runtime::note_record>(&rec))
      if (n->fault) notes += n->text + "\n";
  for (const char* needle :
       {"link 1 main frame field 'step':", "but layer 14's calibrated step is",
        "link 2 main frame field 'step':", "but layer 16's calibrated step is"})
    EXPECT_NE(notes.find(needle), std::string::npos) << needle << " not in:\n" << notes;

  const long correct = std::lround(j["accuracy"].get<double>() * images);
  EXPECT_EQ(correct,
            test::fashion_eval_correct(images, microbatch,
                                       {"--dtype", "int8", "--cuts", "13,15", "--bits", "8"}));
  const long unsplit = test::fashion_eval_correct(images, microbatch, {"--dtype", "int8"});
  EXPECT_LE(std::labs(correct - unsplit), 2) << correct << " vs the unsplit model's " << unsplit;
  std::printf("int8 pipeline with s8 links: %ld/%d correct; unsplit int8 eval: %ld\n", correct,
              images, unsplit);
}

} // namespace
