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
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->failure.find("n2"), std::string::npos) << result->failure;
  EXPECT_NE(result->failure.find("12"), std::string::npos) << result->failure;
  EXPECT_EQ(result->summary.answered, 0u);
  EXPECT_EQ(result->unanswered, std::vector<uint64_t>{0});
}

TEST_F(PipelineTest, MissingModelDirIsAnErrorFromTheNode) {
  auto pc = three_stages(0, make_workload(1, 1, 1));
  pc.model.model_dir = setup->dir.path + "/nope";
  auto result = actors::run_pipeline(*setup->sys, std::move(pc));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(result->failure.find("nope"), std::string::npos) << result->failure;
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

// What the re-planner needs to plan without a lost node: the tiny model's
// 8 planner layers (their outputs, roughly), no profiles (every layer then
// counts the same). Each layer is said to weigh `layer_mb` and each node to
// offer `node_mb` (the planner's view only; the node processes have no
// limit), so that one node cannot hold the model: a plan after a loss needs
// two nodes, and a link between them.
void describe_tiny_layers(actors::pipeline_config& pc, double layer_mb = 10, int64_t node_mb = 50) {
  auto c = test::tiny_config();
  int64_t tokens = (c.image_size / c.patch_size) * (c.image_size / c.patch_size) + 1;
  for (auto& n : pc.nodes) n.info.memory_mb = node_mb;
  pc.layer_weights_mb.assign(8, layer_mb);
  pc.layer_output_elements.assign(8, 2 * tokens * c.hidden_size);
  pc.input_elements = int64_t(c.num_channels) * c.image_size * c.image_size;
}

// Every microbatch answered once, in order, with the single process's
// logits (float32 links: a re-partition cannot change them).
void expect_all_answered_exactly(const actors::run_outcome& o, const actors::workload& w,
                                 const std::string& model_dir) {
  ops::model_options mo;
  mo.threads = 1;
  auto model = ops::vit_model::load(model_dir, mo);
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_TRUE(o.failure.empty()) << o.failure;
  EXPECT_EQ(o.summary.answered, w.batches.size());
  EXPECT_EQ(o.summary.lost, 0u);
  // A repeat can only come from a replay, and the sink drops it.
  EXPECT_LE(o.summary.duplicates, o.summary.replayed);
  EXPECT_TRUE(o.given_up.empty());
  ASSERT_EQ(o.outputs.size(), w.batches.size());
  float worst = 0;
  for (size_t i = 0; i < w.batches.size(); ++i) {
    auto want = model->classify(w.batches[i]);
    ASSERT_TRUE(want) << want.error().message;
    ASSERT_EQ(o.outputs[i].shape, want->shape) << "microbatch " << i;
    for (size_t k = 0; k < want->data.size(); ++k)
      worst = std::max(worst, std::fabs(o.outputs[i].data[k] - want->data[k]));
  }
  EXPECT_LT(worst, 1e-5f);
}

// A node that stops answering without closing its connection (SIGSTOP) is
// noticed by the middleman's heartbeat (connection timeout 3 s) and its
// stage replaced on the alive node; resumed, it rejoins and its first plan
// comes back. Whatever it still computed for the old epoch is dropped.
TEST_F(PipelineTest, StoppedNodeIsReplacedAndRejoinsWhenResumed) {
  test::node_process frozen("frozen", 1, {setup->dir.path});
  auto extra = actors::connect_nodes(*setup->sys, {{"frozen", "127.0.0.1", frozen.port()}},
                                     std::chrono::seconds(10));
  ASSERT_TRUE(extra) << extra.error().message;
  auto pc = three_stages(0, make_workload(120, 4, 15));
  const auto work = pc.work;
  pc.nodes = {setup->connected[0], (*extra)[0], setup->connected[2]};
  pc.keep_outputs = true;
  pc.rejoin_interval = std::chrono::milliseconds(200);
  describe_tiny_layers(pc);
  // Every link between stages at 2 Mbit/s, also in the plan without the
  // frozen node: a run of seconds after the node is noticed (3 s), long
  // enough for it to be resumed and taken back.
  pc.links = [](size_t, size_t, size_t) {
    actors::link_choice c;
    c.out.shaper.mode = actors::shaper_spec::fixed;
    c.out.shaper.mbps = 2;
    return c;
  };
  pc.window = 1;
  bool stopped = false, resumed = false;
  auto t0 = std::chrono::steady_clock::now();
  double noticed_s = -1;
  auto result =
      actors::run_pipeline(*setup->sys, std::move(pc), [&](const actors::run_progress& p) {
        if (!stopped && p.summary.answered >= 1) {
          kill(frozen.pid(), SIGSTOP);
          stopped = true;
          t0 = std::chrono::steady_clock::now();
        }
        for (const auto& n : p.notes)
          if (stopped && !resumed && n.find("'frozen' lost") != std::string::npos) {
            noticed_s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            kill(frozen.pid(), SIGCONT);
            resumed = true;
          }
      });
  if (!resumed) kill(frozen.pid(), SIGCONT);
  ASSERT_TRUE(stopped) << "the run ended before the node could be stopped";
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_TRUE(resumed) << "the loss was never reported; failure: " << result->failure
                       << "; answered " << result->summary.answered << " in "
                       << result->summary.elapsed_s << " s";

  expect_all_answered_exactly(*result, work, setup->dir.path);
  ASSERT_EQ(result->faults.size(), 1u);
  const auto& f = result->faults[0];
  EXPECT_EQ(f.node, "frozen");
  EXPECT_NE(f.cause.find("heartbeat"), std::string::npos) << f.cause;
  EXPECT_GT(f.recovery_epoch, 1u);
  EXPECT_GE(f.rejoined_t_s, f.t_s) << "the resumed node did not rejoin";
  // Epoch 2 runs without the frozen node; the last plan is the first one again.
  ASSERT_GE(result->plans.size(), 3u);
  for (const auto& s : result->plans[1].plan.stages) EXPECT_NE(s.node, 1);
  const auto& back = result->plans.back().plan.stages;
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].node, 1);
  EXPECT_NE(result->plans.back().reason.find("rejoined"), std::string::npos);
  std::printf("stopped node noticed %.1f s after SIGSTOP: %s; interrupted %.0f ms\n", noticed_s,
              f.cause.c_str(), result->plans[1].pause_ms);
}

// When the survivors cannot hold the model, the run stops at once with the
// re-planner's reason and lists what was not answered. (The frozen node is
// stopped, never killed: the shared nodes stay for the tests after.)
TEST_F(PipelineTest, NoPlanFitsTheSurvivorsStopsTheRunWithTheUnanswered) {
  test::node_process frozen("frozen", 1, {setup->dir.path});
  auto extra = actors::connect_nodes(*setup->sys, {{"frozen", "127.0.0.1", frozen.port()}},
                                     std::chrono::seconds(10));
  ASSERT_TRUE(extra) << extra.error().message;
  auto pc = three_stages(0, make_workload(400, 4, 17));
  pc.nodes = {setup->connected[0], (*extra)[0], setup->connected[2]};
  describe_tiny_layers(pc, 15, 50); // 120 MB: three nodes of 50 MB hold it, two do not
  shape_first_link(pc, 2);
  pc.window = 1;
  bool stopped = false;
  auto result =
      actors::run_pipeline(*setup->sys, std::move(pc), [&](const actors::run_progress& p) {
        if (!stopped && p.summary.answered >= 1) {
          kill(frozen.pid(), SIGSTOP);
          stopped = true;
        }
      });
  kill(frozen.pid(), SIGCONT);
  ASSERT_TRUE(stopped) << "the run ended before the node could be stopped";
  ASSERT_TRUE(result) << result.error().message;
  const auto& o = *result;
  EXPECT_NE(o.failure.find("'frozen' lost"), std::string::npos) << o.failure;
  EXPECT_NE(o.failure.find("no plan fits"), std::string::npos) << o.failure;
  ASSERT_EQ(o.faults.size(), 1u);
  EXPECT_EQ(o.faults[0].recovery_epoch, 0u);
  // Answered and unanswered make up the workload, each microbatch once.
  EXPECT_GE(o.summary.answered, 1u);
  EXPECT_EQ(o.summary.answered + o.unanswered.size(), 400u);
  for (size_t i = 1; i < o.unanswered.size(); ++i) EXPECT_LT(o.unanswered[i - 1], o.unanswered[i]);
  std::printf("stopped: %s\n", o.failure.c_str());
}

// Runs last: kills a node (-9) during a run; its stage moves to the
// survivors and every microbatch is still answered once, in order.
TEST_F(PipelineTest, ZLostNodeIsReplacedByTheSurvivors) {
  auto pc = three_stages(0, make_workload(120, 4, 13));
  const auto work = pc.work;
  pc.keep_outputs = true;
  describe_tiny_layers(pc);
  shape_first_link(pc, 2);
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
  ASSERT_TRUE(result) << result.error().message;
  expect_all_answered_exactly(*result, work, setup->dir.path);
  ASSERT_EQ(result->faults.size(), 1u);
  EXPECT_EQ(result->faults[0].node, "n1");
  EXPECT_EQ(result->plans.back().plan.stages.size(), 2u); // n0 and n2: one cannot hold it all
  EXPECT_GT(result->faults[0].recovery_epoch, 1u);
  EXPECT_LT(result->faults[0].rejoined_t_s, 0); // it stays dead
  for (const auto& s : result->plans.back().plan.stages) EXPECT_NE(s.node, 1);
  EXPECT_GT(result->summary.replayed, 0u);
  std::printf("lost node: %s; recovered by epoch %llu\n", result->faults[0].cause.c_str(),
              static_cast<unsigned long long>(result->faults[0].recovery_epoch));
}

} // namespace
