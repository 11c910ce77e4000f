// Mid-stream changes, with the real state machines and the real model and no
// actors: a little pipeline (source_window -> stage_machine per stage ->
// sink_reorder) where each stage decodes its frames with decode_activation,
// runs its layers of a tiny synthetic ViT and encodes with encode_activation.
// Everything moves one step per tick in a fixed order, so a run is
// deterministic and a change can be made at any chosen tick.
//  - bits that change while frames are in flight: every output must equal
//    a reference that pushes the same microbatch through the same boundaries
//    at the bits its frames carried (read back from the frame headers);
//  - a re-partition at any tick: in-flight frames of epoch 1 reach the
//    stages of epoch 2 and are dropped, the source replays, and the sink
//    answers every request once, in order, with the single-model output.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <random>

#include "codecs/codec.hpp"
#include "ops/vit_model.hpp"
#include "runtime/activation_frames.hpp"
#include "runtime/sink_reorder.hpp"
#include "runtime/source_window.hpp"
#include "runtime/stage_machine.hpp"

using namespace edgepipe;
using namespace edgepipe::runtime;

namespace {

constexpr int64_t batch = 2; // images per microbatch

// 16x16 gray images, patch 4, 2 blocks: planner layers 1..8.
ops::vit_config tiny_config() {
  ops::vit_config c;
  c.image_size = 16;
  c.patch_size = 4;
  c.num_channels = 1;
  c.hidden_size = 32;
  c.num_attention_heads = 2;
  c.num_hidden_layers = 2;
  c.intermediate_size = 64;
  c.num_labels = 10;
  return c;
}

ops::vit_model make_model() {
  auto m = ops::vit_model::synthetic(tiny_config(), 11);
  if (!m) throw std::runtime_error(m.error().message);
  return std::move(*m);
}

ops::tensor images_of(uint64_t seq) {
  std::mt19937 rng(static_cast<uint32_t>(1000 + seq));
  std::normal_distribution<float> d(0.f, 1.f);
  ops::tensor t = ops::tensor::zeros({batch, 1, 16, 16});
  for (float& v : t.data) v = d(rng);
  return t;
}

struct layer_range {
  int first, last;
};

// The bits for the n-th frame a stage's encoder sends on link `link`.
using bits_schedule = std::function<codecs::quant_params(int link, int n)>;

// What one microbatch looked like on the way: the parameters each link's
// main and skip frames carried, and what the sink delivered.
struct trace_entry {
  std::vector<codecs::quant_params> main_params, skip_params; // per link, last send wins
  ops::tensor output;
};

class pipeline_sim {
public:
  pipeline_sim(ops::vit_model& model, uint64_t requests, int window)
      : model_(model), src_(requests, window), sink_(requests) {}

  // Deploys a plan: from now on the source sends under `epoch` to these
  // stages. The links keep what is in flight: it reaches the new stages.
  void deploy(uint64_t epoch, const std::vector<layer_range>& ranges, bits_schedule bits) {
    stages_.clear();
    for (const auto& r : ranges) stages_.emplace_back(epoch, r.first, r.last, 2);
    links_.resize(ranges.size() + 1); // link k enters stage k; the last one enters the sink
    bits_ = std::move(bits);
    sent_per_link_.assign(ranges.size(), 0);
    if (epoch > src_.epoch()) {
      sink_.set_epoch(epoch);
      switch_replays_ += src_.switch_epoch(epoch);
    }
  }

  // One tick: the source sends what its window allows, each link delivers
  // its oldest frame, each stage computes one frame.
  void tick() {
    while (auto seq = src_.next_to_send()) {
      ops::activation a;
      a.main = images_of(*seq);
      stage_frame f;
      f.epoch = src_.epoch();
      f.seq = *seq;
      auto frames = encode_activation(a, codecs::quant_params{});
      ASSERT_TRUE(frames) << frames.error().message;
      f.frames = std::move(*frames);
      links_[0].push_back(std::move(f));
    }
    for (size_t k = links_.size(); k-- > 0;) {
      if (links_[k].empty()) continue;
      stage_frame f = std::move(links_[k].front());
      links_[k].pop_front();
      if (k + 1 == links_.size()) {
        arrive_at_sink(std::move(f));
      } else if (!stages_[k].on_frame(std::move(f))) {
        ++dropped_at_stages_;
      }
    }
    for (size_t k = 0; k < stages_.size(); ++k) compute_one(k);
    ++ticks_;
  }

  void run_until_done(int max_ticks) {
    while (!sink_.finished() && ticks_ < max_ticks && !::testing::Test::HasFatalFailure()) tick();
  }

  int ticks() const { return ticks_; }
  const source_window& source() const { return src_; }
  const sink_reorder& sink() const { return sink_; }
  uint64_t dropped_at_stages() const { return dropped_at_stages_; }
  size_t switch_replays() const { return switch_replays_; }
  const std::vector<uint64_t>& delivered() const { return delivered_; }
  const std::map<uint64_t, trace_entry>& trace() const { return trace_; }

private:
  void compute_one(size_t k) {
    stage_machine& st = stages_[k];
    auto f = st.next_to_compute(ticks_);
    if (!f) return;
    auto in = decode_activation(f->frames);
    ASSERT_TRUE(in) << in.error().message;
    auto out = model_.forward(st.first(), st.last(), *in);
    ASSERT_TRUE(out) << out.error().message;
    const bool last = k + 1 == stages_.size();
    codecs::quant_params q =
        last ? codecs::quant_params{} : bits_(static_cast<int>(k), sent_per_link_[k]++);
    auto frames = encode_activation(*out, q);
    ASSERT_TRUE(frames) << frames.error().message;
    if (!last) record_params(f->seq, k, *frames);
    stage_frame next{f->epoch, f->seq, f->origin_ns, std::move(*frames)};
    links_[k + 1].push_back(std::move(next));
    st.on_computed(ticks_);
    st.on_taken(); // the encoder sends at once
  }

  void record_params(uint64_t seq, size_t link, const activation_frames& frames) {
    auto& e = trace_[seq];
    e.main_params.resize(stages_.size() - 1);
    e.skip_params.resize(stages_.size() - 1);
    auto main = codecs::decode(frames.main.data(), frames.main.size());
    ASSERT_TRUE(main) << main.error().message;
    e.main_params[link] = main->params;
    e.skip_params[link] = codecs::quant_params{};
    if (!frames.skip.empty()) {
      auto skip = codecs::decode(frames.skip.data(), frames.skip.size());
      ASSERT_TRUE(skip) << skip.error().message;
      e.skip_params[link] = skip->params;
    }
  }

  void arrive_at_sink(stage_frame f) {
    auto out = decode_activation(f.frames);
    ASSERT_TRUE(out) << out.error().message;
    sink_result r{f.seq, f.origin_ns, std::move(out->main)};
    if (sink_.on_arrival(f.epoch, std::move(r)) == arrival::accepted) src_.on_answered(f.seq);
    for (auto& done : sink_.take_ready()) {
      delivered_.push_back(done.seq);
      trace_[done.seq].output = std::move(done.output);
    }
  }

  ops::vit_model& model_;
  source_window src_;
  sink_reorder sink_;
  std::vector<stage_machine> stages_;
  std::vector<std::deque<stage_frame>> links_;
  bits_schedule bits_;
  std::vector<int> sent_per_link_;
  int ticks_ = 0;
  uint64_t dropped_at_stages_ = 0;
  size_t switch_replays_ = 0;
  std::vector<uint64_t> delivered_;
  std::map<uint64_t, trace_entry> trace_;
};

std::vector<uint64_t> zero_to(uint64_t n) {
  std::vector<uint64_t> v;
  for (uint64_t i = 0; i < n; ++i) v.push_back(i);
  return v;
}

ops::tensor forward_or_fail(ops::vit_model& m, int first, int last, const ops::activation& a,
                            ops::activation* full = nullptr) {
  auto out = m.forward(first, last, a);
  EXPECT_TRUE(out) << out.error().message;
  if (!out) return {};
  if (full) *full = *out;
  return out->main;
}

// Quantizes a tensor the way a link would, with the codec alone.
ops::tensor through_codec(const ops::tensor& t, const codecs::quant_params& q) {
  if (t.empty()) return t;
  auto bytes = codecs::encode(t.data, t.shape, q);
  EXPECT_TRUE(bytes) << bytes.error().message;
  if (!bytes) return {};
  auto back = codecs::decode(bytes->data(), bytes->size());
  EXPECT_TRUE(back) << back.error().message;
  if (!back) return {};
  return ops::tensor{back->shape, back->data};
}

} // namespace

// Three stages, [1..3] (its output has a skip tensor) [4..6] [7..8]; each
// link's bitwidth changes every frame or two, so frames of several bitwidths
// are in flight on a link at once. Each output must be bit-identical to the
// microbatch pushed alone through the same two boundaries at the bits its
// frames carried, and the bits carried must be those the schedule gave.
TEST(MidStream, BitsChangingMidStreamGiveTheOutputsOfTheBitsEachFrameCarried) {
  const std::vector<int> link0_bits = {8, 8, 4, 4, 2, 16, 0, 3, 6, 2, 8, 5};
  const std::vector<int> link1_bits = {16, 2, 2, 8, 0, 4, 4, 7, 3, 8, 1, 12};
  const uint64_t requests = 12;
  auto model = make_model();
  pipeline_sim sim(model, requests, 4);
  sim.deploy(1, {{1, 3}, {4, 6}, {7, 8}}, [&](int link, int n) {
    codecs::quant_params q;
    q.bits = (link == 0 ? link0_bits : link1_bits)[static_cast<size_t>(n)];
    q.clip = link == 0 ? codecs::clip_method::ds_aciq : codecs::clip_method::none;
    q.gran = link == 1 ? codecs::granularity::sample : codecs::granularity::tensor;
    return q;
  });
  sim.run_until_done(1000);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(sim.delivered(), zero_to(requests));

  auto reference = make_model(); // same seed, another instance
  for (uint64_t seq = 0; seq < requests; ++seq) {
    const trace_entry& e = sim.trace().at(seq);
    ASSERT_EQ(e.main_params.size(), 2u);
    // No replays here, so the n-th microbatch is the n-th frame on each link.
    EXPECT_EQ(e.main_params[0].bits, link0_bits[seq]) << "seq " << seq;
    EXPECT_EQ(e.main_params[1].bits, link1_bits[seq]) << "seq " << seq;
    // Layer 3's output splits a residual block: its skip tensor crossed the
    // link with the main tensor's parameters.
    EXPECT_EQ(e.skip_params[0].bits, e.main_params[0].bits) << "seq " << seq;
    EXPECT_EQ(e.skip_params[0].clip, e.main_params[0].clip) << "seq " << seq;

    ops::activation a, b;
    a.main = images_of(seq);
    forward_or_fail(reference, 1, 3, a, &b);
    b.main = through_codec(b.main, e.main_params[0]);
    b.skip = through_codec(b.skip, e.skip_params[0]);
    ops::activation c;
    forward_or_fail(reference, 4, 6, b, &c);
    ASSERT_FALSE(c.has_skip()); // layer 6 ends a residual block
    c.main = through_codec(c.main, e.main_params[1]);
    ops::tensor want = forward_or_fail(reference, 7, 8, c);
    EXPECT_EQ(e.output.shape, want.shape) << "seq " << seq;
    EXPECT_EQ(e.output.data, want.data) << "seq " << seq << ": not bit-identical";
  }
  // The check above can fail: the bits really differed between microbatches,
  // and quantization changed the logits (the low-bit ones differ from fp32).
  ops::activation a;
  a.main = images_of(4); // link 0 at 2 bits
  ops::tensor fp32 = forward_or_fail(reference, 1, 8, a);
  EXPECT_NE(sim.trace().at(4).output.data, fp32.data);
}

// Epoch 1 runs [1..3] [4..8]; at tick T epoch 2 ([1..5] [6..8]) takes over.
// For every T from the first tick to past the end, whatever was in flight:
// every request is answered exactly once, in order, and each output is the
// single model's output over all 8 layers, bit for bit (fp32 links).
TEST(MidStream, RepartitionAtAnyTickAnswersEveryRequestOnceInOrderWithTheModelsOutput) {
  const uint64_t requests = 10;
  auto model = make_model();
  auto reference = make_model();
  std::vector<ops::tensor> want;
  for (uint64_t seq = 0; seq < requests; ++seq) {
    ops::activation a;
    a.main = images_of(seq);
    want.push_back(forward_or_fail(reference, 1, 8, a));
  }
  auto fp32 = [](int, int) { return codecs::quant_params{}; };

  uint64_t runs_with_drops_at_stages = 0, runs_with_stale_at_sink = 0;
  for (int switch_tick = 1; switch_tick <= 20; ++switch_tick) {
    SCOPED_TRACE("switch at tick " + std::to_string(switch_tick));
    pipeline_sim sim(model, requests, 4);
    sim.deploy(1, {{1, 3}, {4, 8}}, fp32);
    while (sim.ticks() < switch_tick && !sim.sink().finished()) sim.tick();
    ASSERT_FALSE(HasFatalFailure());
    const uint64_t outstanding = sim.source().outstanding();
    sim.deploy(2, {{1, 5}, {6, 8}}, fp32);
    EXPECT_EQ(sim.switch_replays(), outstanding);
    sim.run_until_done(1000);
    ASSERT_FALSE(HasFatalFailure());

    ASSERT_EQ(sim.delivered(), zero_to(requests));
    EXPECT_EQ(sim.sink().delivered(), requests);
    EXPECT_EQ(sim.sink().duplicates(), 0u); // old-epoch results are stale, not duplicates
    EXPECT_TRUE(sim.source().given_up().empty());
    for (uint64_t seq = 0; seq < requests; ++seq)
      EXPECT_EQ(sim.trace().at(seq).output.data, want[seq].data) << "seq " << seq;
    if (sim.dropped_at_stages() > 0) ++runs_with_drops_at_stages;
    if (sim.sink().stale() > 0) ++runs_with_stale_at_sink;
    // Whatever was not answered at the switch was sent again, once.
    EXPECT_EQ(sim.source().replayed(), outstanding);
  }
  // The switch points cover both ways an old frame dies: at a new stage and
  // at the sink.
  EXPECT_GT(runs_with_drops_at_stages, 0u);
  EXPECT_GT(runs_with_stale_at_sink, 0u);
}

// One switch, step by step: an epoch-1 frame in flight to a stage reaches
// the epoch-2 stage there and is dropped; the result the old last stage
// already computed reaches the sink and is dropped as stale; all three are
// replayed under epoch 2.
TEST(MidStream, OldEpochFramesInFlightAreDroppedWhereTheyArrive) {
  auto model = make_model();
  auto fp32 = [](int, int) { return codecs::quant_params{}; };
  pipeline_sim sim(model, 3, 3);
  sim.deploy(1, {{1, 3}, {4, 8}}, fp32);
  // Tick 0: seqs 0, 1, 2 sent; seq 0 reaches stage 0 and is computed.
  // Tick 1: seq 0 reaches stage 1, seq 1 stage 0; both computed.
  // In flight now (all epoch 1): seq 0's result to the sink, seq 1 to
  // stage 1, seq 2 to stage 0.
  sim.tick();
  sim.tick();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(sim.source().outstanding(), 3u);
  sim.deploy(2, {{1, 5}, {6, 8}}, fp32);
  EXPECT_EQ(sim.switch_replays(), 3u);
  // Tick 2: seq 0's result is stale at the sink; seqs 1 and 2 reach the
  // epoch-2 stages and are dropped there.
  sim.tick();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(sim.sink().stale(), 1u);
  EXPECT_EQ(sim.dropped_at_stages(), 2u);
  EXPECT_TRUE(sim.delivered().empty());
  sim.run_until_done(100);
  EXPECT_EQ(sim.delivered(), zero_to(3));
  EXPECT_EQ(sim.source().replayed(), 3u);
  EXPECT_EQ(sim.sink().duplicates(), 0u);
}
