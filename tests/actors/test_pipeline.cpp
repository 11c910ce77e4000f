// Integration: real `edgepipe node` processes on free ports run a 3-stage
// pipeline of a tiny ViT (one stage boundary inside a residual block, so a
// skip tensor crosses too). Outputs must equal the single-process forward
// pass: fp32 links within 1e-5, 4-bit links equal to the same frames made
// in-process (runtime::encode_activation / decode_activation) at the same
// boundaries; every microbatch answered once, by its own index. Written
// against the public entry point: actors::pipeline_config + run_pipeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <memory>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "ops/vit_model.hpp"
#include "runtime/activation_frames.hpp"
#include "test_support.hpp"

using namespace edgepipe;

namespace {

struct shared_setup {
  test::temp_dir dir;
  std::vector<std::unique_ptr<test::node_process>> nodes;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<actors::connected_node> connected;
};

shared_setup* setup = nullptr;

class PipelineTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    setup = new shared_setup;
    test::write_tiny_model(setup->dir.path);
    std::vector<actors::node_address> addrs;
    for (const char* name : {"n0", "n1", "n2"}) {
      setup->nodes.push_back(
          std::make_unique<test::node_process>(name, 1, std::vector<std::string>{setup->dir.path}));
      addrs.push_back({name, "127.0.0.1", setup->nodes.back()->port()});
    }
    actors::configure_system(setup->cfg);
    setup->sys = std::make_unique<caf::actor_system>(setup->cfg);
    auto c = actors::connect_nodes(*setup->sys, addrs, std::chrono::seconds(10));
    ASSERT_TRUE(c) << c.error().message;
    setup->connected = *c;
  }
  static void TearDownTestSuite() {
    setup->connected.clear();
    setup->sys.reset();
    delete setup;
    setup = nullptr;
  }

  static actors::workload make_workload(int microbatches, int batch, uint64_t seed) {
    auto c = test::tiny_config();
    actors::workload w;
    w.microbatch = batch;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0, 1);
    for (int m = 0; m < microbatches; ++m) {
      auto t = ops::tensor::zeros({batch, c.num_channels, c.image_size, c.image_size});
      for (float& x : t.data) x = normal(rng);
      w.batches.push_back(std::move(t));
    }
    return w;
  }

  // Stages [1..3] [4..6] [7..8] on n0, n1, n2 (1 thread each); the links
  // between stages send at `bits` (the last one, to the sink, is fp32).
  static actors::pipeline_config three_stages(int bits, actors::workload work) {
    actors::pipeline_config pc;
    pc.nodes = setup->connected;
    pc.model.model_dir = setup->dir.path;
    pc.model.threads = 1;
    pc.threads = {1, 1, 1};
    pc.plan.stages = {{0, 1, 3}, {1, 4, 6}, {2, 7, 8}};
    pc.links = [bits](size_t, size_t, size_t) {
      actors::link_choice c;
      c.out.bits = bits;
      return c;
    };
    pc.work = std::move(work);
    pc.request_timeout = std::chrono::seconds(30);
    pc.stall_timeout = std::chrono::seconds(60);
    return pc;
  }

  // The link after stage 0 emulates `mbps` (a slow link keeps a run going).
  static void shape_first_link(actors::pipeline_config& pc, double mbps) {
    auto plain = pc.links;
    pc.links = [plain, mbps](size_t after, size_t from, size_t to) {
      auto c = plain(after, from, to);
      if (after == 0) {
        c.out.shaper.mode = actors::shaper_spec::fixed;
        c.out.shaper.mbps = mbps;
      }
      return c;
    };
  }

  // Every microbatch answered exactly once, none replayed or given up.
  static void expect_clean(const actors::run_outcome& o, uint64_t microbatches) {
    const auto& s = o.summary;
    EXPECT_EQ(s.requests, microbatches);
    EXPECT_EQ(s.answered, microbatches);
    EXPECT_EQ(s.lost, 0u);
    EXPECT_EQ(s.duplicates, 0u);
    EXPECT_EQ(s.stale, 0u);
    EXPECT_EQ(s.replayed, 0u);
    EXPECT_TRUE(o.given_up.empty());
  }

  static float max_abs_diff(const ops::tensor& a, const ops::tensor& b) {
    EXPECT_EQ(a.shape, b.shape);
    if (a.data.size() != b.data.size()) return INFINITY;
    float m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::fabs(a.data[i] - b.data[i]));
    return m;
  }
};

// What a link does to an activation: the encoder's frames, the receiver's decode.
ops::activation through_link(const ops::activation& a, const codecs::quant_params& q) {
  auto frames = runtime::encode_activation(a, q);
  EXPECT_TRUE(frames) << frames.error().message;
  if (!frames) return {};
  auto back = runtime::decode_activation(*frames);
  EXPECT_TRUE(back) << back.error().message;
  return back ? *back : ops::activation{};
}

TEST_F(PipelineTest, Fp32LinksMatchSingleProcessForward) {
  auto pc = three_stages(0, make_workload(6, 2, 11));
  pc.keep_outputs = true;
  pc.window = 2;
  const auto batches = pc.work.batches;
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_TRUE(result) << result.error().message;
  expect_clean(*result, 6);

  ops::model_options mo;
  mo.threads = 1;
  auto model = ops::vit_model::load(setup->dir.path, mo);
  ASSERT_TRUE(model) << model.error().message;
  // outputs[i] is what the sink delivered as microbatch i: equal to batch
  // i's forward pass, so none was swapped with another.
  ASSERT_EQ(result->outputs.size(), batches.size());
  std::vector<int> want_predictions;
  for (size_t i = 0; i < batches.size(); ++i) {
    auto ref = model->classify(batches[i]);
    ASSERT_TRUE(ref) << ref.error().message;
    EXPECT_LE(max_abs_diff(result->outputs[i], *ref), 1e-5f) << "microbatch " << i;
    const int64_t classes = ref->shape[1];
    for (int64_t b = 0; b < ref->shape[0]; ++b) {
      const float* row = ref->data.data() + b * classes;
      want_predictions.push_back(static_cast<int>(std::max_element(row, row + classes) - row));
    }
  }
  // Predictions by image: the reference's argmax.
  EXPECT_EQ(result->predictions, want_predictions);
}

TEST_F(PipelineTest, FourBitLinksMatchCodecsInProcess) {
  auto pc = three_stages(4, make_workload(5, 3, 12));
  pc.keep_outputs = true;
  pc.window = 3;
  const auto batches = pc.work.batches;
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_TRUE(result) << result.error().message;
  expect_clean(*result, 5);
  ASSERT_EQ(result->bits_out, (std::vector<int32_t>{4, 4, 0}));
  ASSERT_EQ(result->outputs.size(), batches.size());

  ops::model_options mo;
  mo.threads = 1;
  auto model = ops::vit_model::load(setup->dir.path, mo);
  ASSERT_TRUE(model) << model.error().message;
  codecs::quant_params q; // what link_choice{} with bits 4 sends: no clipping, per tensor
  q.bits = 4;
  float fp32_vs_4bit = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    ops::activation a;
    a.main = batches[i];
    auto a1 = model->forward(1, 3, a);
    ASSERT_TRUE(a1);
    ASSERT_TRUE(a1->has_skip()); // the boundary splits a residual block
    auto a2 = model->forward(4, 6, through_link(*a1, q));
    ASSERT_TRUE(a2);
    auto a3 = model->forward(7, 8, through_link(*a2, q));
    ASSERT_TRUE(a3);
    EXPECT_LE(max_abs_diff(result->outputs[i], a3->main), 1e-5f) << "microbatch " << i;
    auto fp32 = model->classify(batches[i]);
    ASSERT_TRUE(fp32);
    fp32_vs_4bit = std::max(fp32_vs_4bit, max_abs_diff(*fp32, a3->main));
  }
  // The 4-bit links really quantized: the result differs from fp32.
  EXPECT_GT(fp32_vs_4bit, 1e-4f);
}

TEST_F(PipelineTest, BadLayerRangeIsAnErrorFromTheNode) {
  auto pc = three_stages(0, make_workload(1, 1, 1));
  pc.plan.stages[2].last = 12; // the tiny model has 8 planner layers
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("n2"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("12"), std::string::npos) << result.error().message;
}

TEST_F(PipelineTest, MissingModelDirIsAnErrorFromTheNode) {
  auto pc = three_stages(0, make_workload(1, 1, 1));
  pc.model.model_dir = setup->dir.path + "/nope";
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("nope"), std::string::npos) << result.error().message;
}

TEST_F(PipelineTest, ShapedLinkIsMeasuredNearItsRate) {
  // The link after stage 0 (n0 -> n1) emulates 8 Mbit/s; the others run at
  // loopback speed. The encoder only sees bytes and ack times, yet must
  // find about 8 Mbit/s. The link after it is never saturated (frames come
  // at the shaped rate), so its estimate is a lower bound: about a frame per
  // round trip. Microbatches of 16 (35 KB frames) keep that far above 8
  // Mbit/s even when the shared machine delays a round trip by milliseconds.
  auto pc = three_stages(0, make_workload(20, 16, 14));
  shape_first_link(pc, 8);
  pc.window = 2;
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->summary.lost, 0u);
  ASSERT_EQ(result->link_mbps.size(), 3u); // per stage: the link that leaves it
  EXPECT_GT(result->link_mbps[0], 8 * 0.6);
  EXPECT_LT(result->link_mbps[0], 8 * 1.4);
  // The unshaped link between stages is measured much faster.
  EXPECT_GT(result->link_mbps[1], 3 * 8.0);
  std::printf("measured: shaped link %.2f Mbit/s, loopback link %.1f Mbit/s\n",
              result->link_mbps[0], result->link_mbps[1]);
}

// A node that stops answering without closing its connection (SIGSTOP)
// is noticed by the middleman's heartbeat (connection timeout 3 s).
TEST_F(PipelineTest, StoppedNodeEndsTheRunWithAnError) {
  test::node_process frozen("frozen", 1, {setup->dir.path});
  auto extra = actors::connect_nodes(*setup->sys, {{"frozen", "127.0.0.1", frozen.port()}},
                                     std::chrono::seconds(10));
  ASSERT_TRUE(extra) << extra.error().message;
  auto pc = three_stages(0, make_workload(400, 4, 15));
  pc.nodes = {setup->connected[0], (*extra)[0]};
  pc.threads = {1, 1};
  pc.plan.stages = {{0, 1, 4}, {1, 5, 8}};
  shape_first_link(pc, 2); // keeps the run going for minutes
  pc.window = 1;
  bool stopped = false;
  auto t0 = std::chrono::steady_clock::now();
  auto result =
      actors::run_pipeline(*setup->sys, std::move(pc), [&](const actors::run_progress& p) {
        if (!stopped && p.summary.answered >= 1) {
          kill(frozen.pid(), SIGSTOP);
          stopped = true;
          t0 = std::chrono::steady_clock::now();
        }
      });
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kill(frozen.pid(), SIGCONT);
  frozen.kill_now();
  ASSERT_TRUE(stopped) << "the run ended before the node could be stopped";
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("frozen"), std::string::npos) << result.error().message;
  // Far below the 60 s stall timeout: the heartbeat found it, not the stall.
  EXPECT_LT(waited, 30.0);
  std::printf("stopped node reported %.1f s after SIGSTOP as: %s\n", waited,
              result.error().message.c_str());
}

// Runs last: kills a node (-9) during a run; the run must end with an error
// that names the node, not hang.
TEST_F(PipelineTest, ZLostNodeEndsTheRunWithAnError) {
  auto pc = three_stages(0, make_workload(400, 4, 13));
  shape_first_link(pc, 2); // keeps the run going for minutes: the kill comes first
  pc.window = 1;
  bool killed = false;
  auto result =
      actors::run_pipeline(*setup->sys, std::move(pc), [&](const actors::run_progress& p) {
        if (!killed && p.summary.answered >= 2) {
          setup->nodes[1]->kill_now();
          killed = true;
        }
      });
  ASSERT_TRUE(killed) << "the run ended before the node could be killed";
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("n1"), std::string::npos) << result.error().message;
  std::printf("lost node reported as: %s\n", result.error().message.c_str());
}

} // namespace
