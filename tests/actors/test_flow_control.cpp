// In-process checks of a link's sending end (actors/encoder_actor.hpp): the
// encoder never has more than K frames without a credit back, tells its
// producer each time it takes a result, sends frames in order, and encodes
// with the bits of the latest set_bits from the next frame on.
//
// The handshake that makes "never more than K" deterministic: messages from
// one sender to one actor arrive in the order sent, so an encoder_tick{report}
// sent after the results is handled after all of them; the link_report it
// produces counts the frames the encoder has sent (`frames`) and the results
// it holds back for want of a credit (`backlog`). No timing is asserted.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/encoder_actor.hpp"
#include "actors/register_types.hpp"
#include "codecs/codec.hpp"

using namespace edgepipe;
using namespace std::chrono_literals;

namespace {

constexpr auto wait_limit = 10s; // only reached when the encoder is broken

struct config : caf::actor_system_config {
  config() { actors::register_types(*this); }
};

// The next hop's stand-in: a typed frame_receiver that passes every frame to
// the test thread (which never credits unless the test says so).
struct recorder_state {
  caf::actor observer;
  static inline const char* name = "test.frame_recorder";
};

actors::frame_receiver::behavior_type
recorder_impl(actors::frame_receiver::stateful_pointer<recorder_state> self, caf::actor observer) {
  self->state.observer = std::move(observer);
  return {
      [=](actors::frame_msg& f) { caf::anon_send(self->state.observer, std::move(f)); },
  };
}

actors::result_msg make_result(uint64_t seq) {
  actors::result_msg m;
  m.epoch = 1;
  m.seq = seq;
  m.value.main = ops::tensor::zeros({2, 8});
  for (size_t i = 0; i < m.value.main.data.size(); ++i)
    m.value.main.data[i] =
        static_cast<float>(seq) + std::sin(static_cast<float>(i)); // not on a 4-bit grid
  return m;
}

struct encoder_rig {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor producer{sys}; // sends results, gets result_taken
  caf::scoped_actor frames{sys};   // gets the frames the recorder saw
  caf::scoped_actor monitor{sys};  // gets the encoder's link reports
  actors::encoder_actor encoder;

  explicit encoder_rig(int window) {
    auto recorder = sys.spawn(recorder_impl, caf::actor_cast<caf::actor>(frames));
    actors::encoder_wiring w;
    w.epoch = 1;
    w.spec.link = 1;
    w.spec.window = window;
    w.next = recorder;
    w.monitor = caf::actor_cast<actors::monitor_actor>(monitor);
    encoder = actors::spawn_encoder(sys, w);
  }
  ~encoder_rig() { caf::anon_send_exit(encoder, caf::exit_reason::user_shutdown); }

  // The encoder's next link report after a report tick from the producer:
  // handled after every message the producer sent before it. The encoder
  // also reports on its own timers, so a report may be older than that:
  // callers wait for the report that shows what they expect.
  actors::link_report report_after_producer() {
    producer->send(encoder, actors::encoder_tick{true});
    actors::link_report got;
    bool arrived = false;
    monitor->receive([&](actors::link_report& r) { got = r, arrived = true; },
                     caf::after(wait_limit) >> [] {});
    EXPECT_TRUE(arrived) << "the encoder sent no link report";
    return got;
  }

  // Reports until one satisfies `done` (at most 20: each asks for a fresh one).
  template <class Pred> actors::link_report report_when(Pred done) {
    actors::link_report r;
    for (int i = 0; i < 20; ++i)
      if (done(r = report_after_producer())) return r;
    ADD_FAILURE() << "no link report showed the expected state (last: frames " << r.frames
                  << ", backlog " << r.backlog << ", bits " << r.bits << ")";
    return r;
  }

  // The next frame the recorder saw.
  actors::frame_msg next_frame() {
    actors::frame_msg got;
    bool arrived = false;
    frames->receive([&](actors::frame_msg& f) { got = std::move(f), arrived = true; },
                    caf::after(wait_limit) >> [] {});
    EXPECT_TRUE(arrived) << "no frame arrived";
    return got;
  }

  void credit(uint64_t seq) { frames->send(encoder, actors::frame_credit{1, 1, seq}); }
};

// A report taken after the encoder handled all `sent` results (sent or held
// back for want of a credit; the link is unshaped, so none is held by the shaper).
actors::link_report settled_report(encoder_rig& rig, uint64_t sent) {
  return rig.report_when(
      [&](const actors::link_report& r) { return r.frames + r.backlog >= sent; });
}

TEST(EncoderFlowControl, AtMostWindowFramesWithoutCredit) {
  encoder_rig rig(2);
  for (uint64_t i = 0; i < 6; ++i) rig.producer->send(rig.encoder, make_result(i));

  // All six handled, none credited: exactly K = 2 sent, 4 held back.
  auto r = settled_report(rig, 6);
  EXPECT_EQ(r.frames, 2u) << "more than K = 2 frames sent without a credit";
  EXPECT_EQ(r.backlog, 4u);
  EXPECT_EQ(rig.next_frame().seq, 0u);
  EXPECT_EQ(rig.next_frame().seq, 1u);

  // One credit back: exactly one more frame, the next in order.
  rig.credit(0);
  EXPECT_EQ(rig.next_frame().seq, 2u);
  // Frame 2 left while the encoder handled the credit: any report that
  // counts it was taken after that credit, and shows nothing else went.
  r = rig.report_when([](const actors::link_report& x) { return x.frames >= 3; });
  EXPECT_EQ(r.frames, 3u);
  EXPECT_EQ(r.backlog, 3u);

  // Credits for the rest: everything arrives, in order.
  for (uint64_t i = 1; i < 6; ++i) rig.credit(i);
  for (uint64_t seq = 3; seq < 6; ++seq) EXPECT_EQ(rig.next_frame().seq, seq);

  // The producer heard result_taken once per result, in order.
  std::vector<uint64_t> taken;
  for (int i = 0; i < 6; ++i)
    rig.producer->receive([&](actors::result_taken& t) { taken.push_back(t.seq); },
                          caf::after(wait_limit) >> [] {});
  EXPECT_EQ(taken, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(EncoderFlowControl, ProducerIsHeldBackUntilACredit) {
  // result_taken is the producer's flow control: a result waiting for a
  // credit is not taken yet.
  encoder_rig rig(1);
  for (uint64_t i = 0; i < 3; ++i) rig.producer->send(rig.encoder, make_result(i));
  auto r = settled_report(rig, 3);
  EXPECT_EQ(r.frames, 1u);
  EXPECT_EQ(r.backlog, 2u);
  // backlog 2: results 1 and 2 are not taken; result 0 was.
  std::vector<uint64_t> taken;
  rig.producer->receive([&](actors::result_taken& t) { taken.push_back(t.seq); },
                        caf::after(wait_limit) >> [] {});
  EXPECT_EQ(taken, (std::vector<uint64_t>{0}));
  rig.credit(0);
  rig.producer->receive([&](actors::result_taken& t) { taken.push_back(t.seq); },
                        caf::after(wait_limit) >> [] {});
  EXPECT_EQ(taken, (std::vector<uint64_t>{0, 1}));
}

TEST(EncoderFlowControl, SetBitsAppliesFromTheNextFrameOn) {
  encoder_rig rig(1);
  // Result 0 goes out at once (fp32); result 1 waits for a credit.
  rig.producer->send(rig.encoder, make_result(0));
  rig.producer->send(rig.encoder, make_result(1));
  auto r = settled_report(rig, 2);
  EXPECT_EQ(r.frames, 1u);
  EXPECT_EQ(r.bits, 0);
  auto f0 = rig.next_frame();
  auto d0 = codecs::decode(f0.main.data(), f0.main.size());
  ASSERT_TRUE(d0) << d0.error().message;
  EXPECT_EQ(d0->params.bits, 0);

  // From the same sender as the results: handled after both.
  rig.producer->send(rig.encoder, actors::set_bits{1, 4, 0});
  r = rig.report_when([](const actors::link_report& x) { return x.bits == 4; });
  EXPECT_EQ(r.frames, 1u); // nothing was sent because of set_bits
  rig.credit(0);           // result 1 is encoded now, after set_bits
  auto f1 = rig.next_frame();
  EXPECT_EQ(f1.seq, 1u);
  auto d1 = codecs::decode(f1.main.data(), f1.main.size());
  ASSERT_TRUE(d1) << d1.error().message;
  EXPECT_EQ(d1->params.bits, 4);
  EXPECT_LT(f1.main.size(), f0.main.size());
  // The decoded values are result 1's, quantized to 4 bits: close, not equal.
  auto want = make_result(1).value.main.data;
  ASSERT_EQ(d1->data.size(), want.size());
  float worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(d1->data[i] - want[i]));
  auto [lo, hi] = std::minmax_element(want.begin(), want.end());
  const float half_step = (*hi - *lo) / 15 / 2; // 4 bits: 15 steps over the range (no clipping)
  EXPECT_GT(worst, 0.0f);
  EXPECT_LE(worst, half_step * 1.0001f);
}

} // namespace
