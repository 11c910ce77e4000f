// Integration: real `edgepipe node` processes on free ports run a 3-stage
// pipeline of a tiny ViT (one stage boundary inside a residual block, so a
// skip tensor crosses too). Outputs must equal the single-process forward
// pass: fp32 links within 1e-5, 4-bit links equal to the codecs library
// applied in-process at the same boundaries; in order, none lost or twice.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <memory>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "codecs/codec.hpp"
#include "ops/vit_model.hpp"
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
      setup->nodes.push_back(std::make_unique<test::node_process>(name));
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

  // Stages [1..3] [4..6] [7..8] on n0, n1, n2; links between stages at `bits`.
  static std::vector<actors::stage_placement> three_stages(int bits) {
    std::vector<actors::stage_placement> out;
    int ranges[3][2] = {{1, 3}, {4, 6}, {7, 8}};
    for (size_t i = 0; i < 3; ++i) {
      actors::stage_placement p;
      p.node = i;
      p.spec.model_dir = setup->dir.path;
      p.spec.first = ranges[i][0];
      p.spec.last = ranges[i][1];
      p.spec.threads = 1;
      p.out.bits = i < 2 ? bits : 0;
      out.push_back(p);
    }
    return out;
  }

  static float max_abs_diff(const ops::tensor& a, const ops::tensor& b) {
    EXPECT_EQ(a.shape, b.shape);
    if (a.data.size() != b.data.size()) return INFINITY;
    float m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::fabs(a.data[i] - b.data[i]));
    return m;
  }
};

ops::tensor through_codec(const ops::tensor& t, const codecs::quant_params& q) {
  auto frame = codecs::encode(t.data.data(), t.shape, q);
  EXPECT_TRUE(frame) << frame.error().message;
  auto back = codecs::decode(frame->data(), frame->size());
  EXPECT_TRUE(back) << back.error().message;
  ops::tensor out;
  out.shape = back->shape;
  out.data = back->data;
  return out;
}

TEST_F(PipelineTest, Fp32LinksMatchSingleProcessForward) {
  auto work = make_workload(6, 2, 11);
  actors::run_options opts;
  opts.keep_outputs = true;
  opts.window = 2;
  auto result = actors::run_pipeline(*setup->sys, setup->connected, three_stages(0), work, opts);
  ASSERT_TRUE(result) << result.error().message;
  const auto& s = result->summary;
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.answered, 6u);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_EQ(s.out_of_order, 0u);

  ops::model_options mo;
  mo.threads = 1;
  auto model = ops::vit_model::load(setup->dir.path, mo);
  ASSERT_TRUE(model) << model.error().message;
  ASSERT_EQ(result->outputs.size(), work.batches.size());
  for (size_t i = 0; i < work.batches.size(); ++i) {
    auto ref = model->classify(work.batches[i]);
    ASSERT_TRUE(ref) << ref.error().message;
    EXPECT_LE(max_abs_diff(result->outputs[i], *ref), 1e-5f) << "microbatch " << i;
  }
}

TEST_F(PipelineTest, FourBitLinksMatchCodecsInProcess) {
  auto work = make_workload(5, 3, 12);
  actors::run_options opts;
  opts.keep_outputs = true;
  opts.window = 3;
  auto result = actors::run_pipeline(*setup->sys, setup->connected, three_stages(4), work, opts);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->summary.answered, 5u);
  EXPECT_EQ(result->summary.lost, 0u);
  EXPECT_EQ(result->summary.duplicates, 0u);
  EXPECT_EQ(result->summary.out_of_order, 0u);

  ops::model_options mo;
  mo.threads = 1;
  auto model = ops::vit_model::load(setup->dir.path, mo);
  ASSERT_TRUE(model) << model.error().message;
  codecs::quant_params q;
  q.bits = 4;
  float fp32_vs_4bit = 0;
  for (size_t i = 0; i < work.batches.size(); ++i) {
    ops::activation a;
    a.main = work.batches[i];
    auto a1 = model->forward(1, 3, a);
    ASSERT_TRUE(a1);
    ops::activation q1{through_codec(a1->main, q), through_codec(a1->skip, q)};
    auto a2 = model->forward(4, 6, q1);
    ASSERT_TRUE(a2);
    ASSERT_FALSE(a2->has_skip());
    ops::activation q2{through_codec(a2->main, q), {}};
    auto a3 = model->forward(7, 8, q2);
    ASSERT_TRUE(a3);
    EXPECT_LE(max_abs_diff(result->outputs[i], a3->main), 1e-5f) << "microbatch " << i;
    auto fp32 = model->classify(work.batches[i]);
    fp32_vs_4bit = std::max(fp32_vs_4bit, max_abs_diff(*fp32, a3->main));
  }
  // The 4-bit links really quantized: the result differs from fp32.
  EXPECT_GT(fp32_vs_4bit, 1e-4f);
}

TEST_F(PipelineTest, BadLayerRangeIsAnErrorFromTheNode) {
  auto stages = three_stages(0);
  stages[2].spec.last = 12; // the tiny model has 8 planner layers
  auto result =
      actors::run_pipeline(*setup->sys, setup->connected, stages, make_workload(1, 1, 1), {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("n2"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("12"), std::string::npos) << result.error().message;
}

TEST_F(PipelineTest, MissingModelDirIsAnErrorFromTheNode) {
  auto stages = three_stages(0);
  stages[1].spec.model_dir = setup->dir.path + "/nope";
  auto result =
      actors::run_pipeline(*setup->sys, setup->connected, stages, make_workload(1, 1, 1), {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("nope"), std::string::npos) << result.error().message;
}

TEST_F(PipelineTest, ShapedLinkIsMeasuredNearItsRate) {
  // Link 1 (n0 -> n1) emulates 8 Mbit/s; the others run at loopback speed.
  // The monitor only sees bytes and ack times, yet must find about 8 Mbit/s.
  auto stages = three_stages(0);
  stages[0].out.shaper.mode = actors::shaper_spec::fixed;
  stages[0].out.shaper.mbps = 8;
  auto work = make_workload(30, 4, 14);
  actors::run_options opts;
  opts.window = 2;
  auto result = actors::run_pipeline(*setup->sys, setup->connected, stages, work, opts);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->summary.lost, 0u);
  ASSERT_GE(result->link_mbps.size(), 3u);
  EXPECT_GT(result->link_mbps[1], 8 * 0.6);
  EXPECT_LT(result->link_mbps[1], 8 * 1.4);
  // The unshaped link is measured much faster.
  EXPECT_GT(result->link_mbps[2], 3 * 8.0);
  std::printf("measured: shaped link %.2f Mbit/s, loopback link %.1f Mbit/s\n",
              result->link_mbps[1], result->link_mbps[2]);
}

// A node that stops answering without closing its connection (SIGSTOP)
// is noticed by the middleman's heartbeat (connection timeout 3 s).
TEST_F(PipelineTest, StoppedNodeEndsTheRunWithAnError) {
  test::node_process frozen("frozen");
  auto extra = actors::connect_nodes(*setup->sys, {{"frozen", "127.0.0.1", frozen.port()}},
                                     std::chrono::seconds(10));
  ASSERT_TRUE(extra) << extra.error().message;
  std::vector<actors::connected_node> nodes = {setup->connected[0], (*extra)[0]};
  auto stages = three_stages(0);
  stages.pop_back();
  stages[0].spec.last = 4;
  stages[1].spec.first = 5;
  stages[1].spec.last = 8;
  stages[0].out.shaper.mode = actors::shaper_spec::fixed;
  stages[0].out.shaper.mbps = 2; // keeps the run going
  actors::run_options opts;
  opts.window = 1;
  bool stopped = false;
  opts.progress = [&](const actors::run_summary& s) {
    if (!stopped && s.answered >= 1) {
      kill(frozen.pid(), SIGSTOP);
      stopped = true;
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  auto result = actors::run_pipeline(*setup->sys, nodes, stages, make_workload(400, 4, 15), opts);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kill(frozen.pid(), SIGCONT);
  frozen.kill_now();
  ASSERT_TRUE(stopped);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("frozen"), std::string::npos) << result.error().message;
  EXPECT_LT(waited, 30.0);
  std::printf("stopped node reported after %.1f s as: %s\n", waited,
              result.error().message.c_str());
}

// Runs last: kills a node during a run; the run must end with an error that
// names the node, not hang.
TEST_F(PipelineTest, ZLostNodeEndsTheRunWithAnError) {
  auto work = make_workload(400, 4, 13);
  actors::run_options opts;
  opts.window = 1;
  bool killed = false;
  opts.progress = [&](const actors::run_summary& s) {
    if (!killed && s.answered >= 2) {
      setup->nodes[1]->kill_now();
      killed = true;
    }
  };
  // A slow first link keeps the run going for minutes: the kill comes first.
  auto stages = three_stages(0);
  stages[0].out.shaper.mode = actors::shaper_spec::fixed;
  stages[0].out.shaper.mbps = 2;
  auto result = actors::run_pipeline(*setup->sys, setup->connected, stages, work, opts);
  ASSERT_TRUE(killed) << "the run ended before the node could be killed";
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("n1"), std::string::npos) << result.error().message;
  std::printf("lost node reported as: %s\n", result.error().message.c_str());
}

} // namespace
