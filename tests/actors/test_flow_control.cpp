// In-process checks of the sending side: an encoder never has more than K
// frames unconfirmed (credits), holds its producer back (taken), and sends
// frames in order; the planner's bitwidth rule.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/encoder_actor.hpp"
#include "actors/messages.hpp"
#include "actors/planner_actor.hpp"
#include "actors/register_types.hpp"

using namespace edgepipe;
using namespace std::chrono_literals;

namespace {

struct config : caf::actor_system_config {
  config() { actors::register_types(*this); }
};

actors::activation_msg make_activation(uint64_t seq) {
  actors::activation_msg m;
  m.seq = seq;
  m.value.main = ops::tensor::zeros({2, 3});
  m.value.main.data[0] = static_cast<float>(seq);
  return m;
}

TEST(EncoderFlowControl, AtMostWindowFramesUnconfirmed) {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor receiver{sys}; // stands in for the next stage: never credits unless told
  caf::scoped_actor producer{sys};
  actors::link_spec spec;
  spec.link = 1;
  spec.window = 2;
  auto encoder = actors::spawn_encoder(sys, spec, receiver, caf::actor{});
  for (uint64_t i = 0; i < 6; ++i) producer->send(encoder, make_activation(i));

  std::vector<uint64_t> got;
  auto drain = [&](std::chrono::milliseconds wait) {
    bool more = true;
    while (more)
      receiver->receive([&](actors::frame_msg& f) { got.push_back(f.seq); },
                        caf::after(wait) >> [&] { more = false; });
  };
  drain(300ms);
  ASSERT_EQ(got, (std::vector<uint64_t>{0, 1})) << "more than K = 2 frames sent without credits";
  // One credit back: exactly one more frame.
  receiver->send(encoder, actors::credit_atom::value, uint32_t{1}, uint64_t{0});
  drain(300ms);
  ASSERT_EQ(got, (std::vector<uint64_t>{0, 1, 2}));
  // Credits for the rest: everything arrives, in order.
  for (uint64_t i = 1; i < 6; ++i)
    receiver->send(encoder, actors::credit_atom::value, uint32_t{1}, i);
  drain(300ms);
  EXPECT_EQ(got, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));

  // The producer heard (taken) once per activation the encoder took.
  int taken = 0;
  bool more = true;
  while (more)
    producer->receive([&](actors::taken_atom) { ++taken; },
                      caf::after(100ms) >> [&] { more = false; });
  EXPECT_EQ(taken, 6);
  caf::anon_send_exit(encoder, caf::exit_reason::user_shutdown);
}

TEST(EncoderFlowControl, QuantizesWithTheBitsItIsSent) {
  config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor receiver{sys};
  actors::link_spec spec;
  spec.window = 8;
  auto encoder = actors::spawn_encoder(sys, spec, receiver, caf::actor{});
  receiver->send(encoder, make_activation(0));
  size_t fp32_size = 0, four_bit_size = 0;
  receiver->receive([&](actors::frame_msg& f) { fp32_size = f.main.size(); },
                    caf::after(2s) >> [] {});
  receiver->send(encoder, actors::quant_atom::value, int32_t{4}, uint8_t{0});
  receiver->send(encoder, make_activation(1));
  bool more = true;
  while (more)
    receiver->receive(
        [&](actors::frame_msg& f) {
          four_bit_size = f.main.size();
          more = false;
        },
        caf::after(2s) >> [&] { more = false; });
  EXPECT_GT(fp32_size, 0u);
  EXPECT_GT(four_bit_size, 0u);
  EXPECT_LT(four_bit_size, fp32_size);
  caf::anon_send_exit(encoder, caf::exit_reason::user_shutdown);
}

TEST(PlannerRule, LargestBitsThatFitTheComputeTime) {
  // 1e6 values over 100 Mbit/s: 8 bits take 80 ms, 4 bits 40 ms.
  EXPECT_EQ(actors::choose_bits(1e6, 100, 0.080, 2, 16), 8);
  EXPECT_EQ(actors::choose_bits(1e6, 100, 0.079, 2, 16), 7);
  EXPECT_EQ(actors::choose_bits(1e6, 100, 10.0, 2, 8), 8);  // capped by max_bits
  EXPECT_EQ(actors::choose_bits(1e6, 100, 0.001, 2, 8), 2); // nothing fits: min_bits
  EXPECT_EQ(actors::choose_bits(1e6, 0, 1.0, 3, 8), 3);     // no estimate yet
}

} // namespace
