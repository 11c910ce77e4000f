// Malformed frames on the links of a real pipeline (`edgepipe run` with two
// `edgepipe node` processes, the shipped Fashion-MNIST ViT split inside a
// block so a skip tensor crosses too). The test hook
// EDGEPIPE_TEST_CORRUPT_FRAMES (actors/test_frame_faults.hpp: an environment
// variable of the sending process, which nothing on the network can set)
// damages one frame of each kind as it leaves its encoder: a wrong version,
// swapped dimensions, a claimed batch 50x the stage's, main and skip at
// different bits, random bytes, a truncated frame, a wrong link number,
// wrong-shaped images on the source's link, and logits claiming 10x the
// microbatch's rows on the link to the sink (which would book them over the
// next microbatches' images). Each stage (and the sink) must refuse the frame
// with an error naming the link and the field, keep serving, and the source
// must replay the microbatch: every request answered exactly once, in order,
// with the same predictions as a run without faults (float32 links: bit for
// bit) and the same count correct as `edgepipe eval`.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "runtime/timeline.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

const std::string& model_dir = test::fashion_model_dir;
const std::string& data_dir = test::fashion_data_dir;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(BadFrames, EveryMalformedFrameIsRefusedNamedAndReplayed) {
  EDGEPIPE_SKIP_WITHOUT_FASHION();
  const int images = 800, microbatch = 8, requests = images / microbatch;
  test::temp_dir dir;
  const std::string topology = dir.path + "/topology.yaml";
  // a: layers 1..13 (ends after block 3's attention: context + residual cross).
  test::write_file(topology, "name: bad-frames\n" + test::local_nodes_yaml({"a", "b"}) +
                                 "model:\n  dir: " + model_dir +
                                 "\n"
                                 "partition:\n  - {node: a, layers: [1, 13]}\n"
                                 "  - {node: b, layers: [14, 24]}\n"
                                 "quantization:\n  bits: 0\n" +
                                 test::fashion_workload_yaml(images, microbatch) +
                                 "runtime:\n  run_timeout_s: 100\n");

  // One run without faults: the reference predictions.
  const std::string clean_predictions = dir.path + "/clean.txt";
  auto clean = test::run_edgepipe(
      {"run", topology, "--json", "--quiet", "--predictions", clean_predictions}, 120);
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  struct fault {
    int link, seq;
    const char* kind;
    const char* needle; // what the stage's (the sink's: link 2) error must say
  };
  const std::vector<fault> faults = {
      {1, 10, "version", "link 1 main frame field 'version': unknown version 9"},
      {1, 20, "shape",
       "link 1 frame field 'shape': layer 14 takes an attention context of shape "
       "[8, 50, 64], got [8, 64, 50]"},
      {1, 30, "batch",
       "link 1 frame field 'shape': layer 14: input [400, 1, 64] has batch 400, "
       "above the limit 8"},
      {1, 40, "bits", "link 1 skip frame field 'bits': 0, but the main frame's is 2"},
      {1, 50, "random", "link 1 main frame field 'magic'"},
      {1, 60, "truncate", "link 1 main frame field 'payload': truncated"},
      {1, 70, "link", "link 2 frame field 'link': 2, but stage 1 (layers 14..24) is fed by link 1"},
      {0, 80, "shape",
       "link 0 frame field 'shape': layer 1 takes images [B, C, H, W] of shape "
       "[8, 1, 28, 28], got [8, 28, 1, 28]"},
      {2, 90, "batch",
       "link 2 main frame field 'shape': [80, 1], but the output of this microbatch is [8, "
       "classes]"},
  };
  std::string spec;
  for (const auto& f : faults)
    spec += (spec.empty() ? "" : ",") + std::to_string(f.link) + ":" + std::to_string(f.seq) + ":" +
            f.kind;
  const std::string timeline = dir.path + "/timeline.jsonl";
  const std::string predictions = dir.path + "/faulty.txt";
  auto r =
      test::run_program("env",
                        {"EDGEPIPE_TEST_CORRUPT_FRAMES=" + spec, EDGEPIPE_BINARY, "run", topology,
                         "--json", "--quiet", "--timeline", timeline, "--predictions", predictions},
                        120, 5);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::last_line(r.out));
  EXPECT_EQ(j["requests"], requests);
  EXPECT_EQ(j["answered"], requests);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_TRUE(j["given_up"].empty()) << j["given_up"];
  // Every damaged microbatch was sent again (and nothing else needed to be).
  EXPECT_GE(j["replayed"].get<int>(), static_cast<int>(faults.size()));

  // The hook fired once per fault, in the process that sends each link.
  for (const auto& f : faults) {
    std::string fired = "test hook corrupts link " + std::to_string(f.link) + " microbatch ";
    EXPECT_NE(r.err.find(fired), std::string::npos) << f.kind << "\n" << r.err;
  }

  // The stages' errors, as the planner recorded them; the sink's on stderr.
  auto records = runtime::read_timeline(timeline);
  ASSERT_TRUE(records) << records.error().message;
  std::string notes;
  for (const auto& rec : *records)
    if (const auto* n = std::get_if<runtime::note_record>(&rec))
      if (n->fault) notes += n->text + "\n";
  for (const auto& f : faults) {
    const std::string& where = f.link == 2 ? r.err : notes;
    EXPECT_NE(where.find(f.needle), std::string::npos) << f.kind << " not reported:\n" << where;
  }

  // Answered in order, each once: per image the very predictions of the
  // clean run (float32 links everywhere).
  auto want = lines_of(clean_predictions), got = lines_of(predictions);
  ASSERT_EQ(want.size(), size_t(images));
  ASSERT_EQ(got.size(), size_t(images));
  for (int i = 0; i < images; ++i)
    ASSERT_EQ(got[i], want[i]) << "image " << i << " (microbatch " << i / microbatch << ")";

  EXPECT_EQ(std::lround(j["accuracy"].get<double>() * images),
            test::fashion_eval_correct(images, microbatch));
}

} // namespace
