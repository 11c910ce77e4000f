// The re-planner's decisions on hand-made situations, each new plan's period
// checked against an exhaustive search over all contiguous partitions
// (replan_world.hpp) that shares no code with the planner.
#include "runtime/replanner.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "replan_world.hpp"

namespace edgepipe::runtime {
namespace {

using namespace testing;

const std::vector<double> unchanged = {1, 1, 1};
constexpr int64_t second = 1000000000;

replanner_options no_smoothing() {
  replanner_options o;
  o.smoothing = 1; // the last measurement is the factor: exact periods
  return o;
}

// The plan a fresh run would start with: the exhaustive optimum, 16-bit links.
plan start_plan(const world& w) {
  best_plan best = brute_force(w, unchanged);
  EXPECT_EQ(best.stages.size(), 3u) << "the test world should use all three nodes";
  return make_plan(best.stages, 16);
}

bool fits_everywhere(const world& w, const plan& p) {
  for (const stage_assignment& s : p.stages)
    if (!fits(w, s)) return false;
  return true;
}

TEST(Replanner, NothingChangedKeepsThePlan) {
  world w = three_nodes();
  plan current = start_plan(w);
  replanner r(no_smoothing());
  for (int64_t t : {int64_t(0), 10 * second}) { // and again: no drift
    auto d = r.decide(inputs_for(w, current, unchanged, t));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->action, replan_action::keep) << d->reason;
    EXPECT_EQ(describe(d->next), describe(current));
    EXPECT_EQ(d->next.epoch, 1u);
    EXPECT_DOUBLE_EQ(d->current_period_s, brute_force(w, unchanged).period);
    EXPECT_LE(d->current_period_s, d->new_period_s);
  }
  EXPECT_EQ(r.slowdown(), unchanged);
}

TEST(Replanner, ANodeFourTimesSlowerLosesLayers) {
  world w = three_nodes();
  plan current = start_plan(w);
  int b = 1;
  ASSERT_GT(layers_on(current, b), 0);
  std::vector<double> factor = {1, 4, 1};
  replanner r(no_smoothing());
  auto d = r.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::repartition) << d->reason;
  EXPECT_EQ(d->next.epoch, 2u);
  EXPECT_EQ(r.slowdown()[b], 4);
  EXPECT_LT(layers_on(d->next, b), layers_on(current, b));

  best_plan best = brute_force(w, factor);
  EXPECT_DOUBLE_EQ(d->new_period_s, best.period);
  EXPECT_DOUBLE_EQ(period_of(w, factor, d->next.stages, d->next.bits), best.period);
  EXPECT_DOUBLE_EQ(d->current_period_s, period_of(w, factor, current.stages, current.bits));
  EXPECT_LT(d->new_period_s * 1.1, d->current_period_s);
  EXPECT_TRUE(fits_everywhere(w, d->next));
  EXPECT_NE(d->reason.find("node b (stage 1, layers"), std::string::npos) << d->reason;
  EXPECT_NE(d->reason.find("4x its profile"), std::string::npos) << d->reason;
  char expected_tail[64];
  std::snprintf(expected_tail, sizeof expected_tail, "> period %.4g ms; moving ",
                best.period * 1e3);
  EXPECT_NE(d->reason.find(expected_tail), std::string::npos) << d->reason;

  // The plan now in force, b still slow: nothing better to do. b's factor
  // stays what was last measured even where b hosts nothing.
  auto again = r.decide(inputs_for(w, d->next, factor, 20 * second));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->action, replan_action::keep) << again->reason;
  EXPECT_EQ(r.slowdown()[b], 4);
}

TEST(Replanner, ALinkEvenMinBitsCannotCarryIsRoutedAround) {
  world w = three_nodes();
  int a = 0, b = 1;
  plan current = make_plan({{a, 1, 6}, {b, 7, 12}}, 2); // the bit controller is at 2 already
  replan_inputs in = inputs_for(w, current, unchanged);
  in.stage_links = {measured_link{true, 0.01, false}};
  w.rate_mbps[w.pair(a, b)] = 0.01; // what the search believes, too

  replanner r(no_smoothing());
  auto d = r.decide(in);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::repartition) << d->reason;
  EXPECT_FALSE(uses_pair(d->next, a, b)) << describe(d->next);
  best_plan best = brute_force(w, unchanged);
  EXPECT_DOUBLE_EQ(d->new_period_s, best.period);
  EXPECT_DOUBLE_EQ(period_of(w, unchanged, d->next.stages, d->next.bits), best.period);
  EXPECT_DOUBLE_EQ(d->current_period_s, send_s(w, 6, a, b, 2));
  EXPECT_NE(d->reason.find("link 0 (node a -> node b) measured 0.01 Mbit/s, 2 bits need"),
            std::string::npos)
      << d->reason;
}

TEST(Replanner, NoLinkCarriesMinBitsSoOneStage) {
  world w = three_nodes();
  plan current = make_plan({{0, 1, 6}, {1, 7, 12}}, 2);
  replan_inputs in = inputs_for(w, current, unchanged);
  in.pair_links.assign(9, measured_link{true, 0.01, false}); // probes between every pair
  w.rate_mbps.assign(9, 0.01);

  replanner r(no_smoothing());
  auto d = r.decide(in);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::repartition) << d->reason;
  EXPECT_EQ(d->next.stages.size(), 1u) << describe(d->next);
  EXPECT_DOUBLE_EQ(d->new_period_s, brute_force(w, unchanged).period);
}

TEST(Replanner, ALowerBoundBelowTheConfiguredRateChangesNothing) {
  world w = three_nodes();
  plan current = start_plan(w);
  replan_inputs in = inputs_for(w, current, unchanged);
  in.stage_links = {measured_link{true, 0.01, true}, measured_link{true, 0.01, true}};
  replanner r(no_smoothing());
  auto d = r.decide(in);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, replan_action::keep) << d->reason;
}

TEST(Replanner, ASlowLinkThatFewerBitsCanHoldOnlyChangesBits) {
  world w = three_nodes();
  plan current = start_plan(w);
  int a = current.stages[0].node, b = current.stages[1].node;
  double period = period_of(w, unchanged, current.stages); // compute-bound
  // A rate at which 16 bits need twice the period on link 0: fewer bits fit.
  double rate = double(frame_bytes(4 * w.out_elements[current.stages[0].last - 1], 16)) * 8 /
                (2 * period) / 1e6;
  replan_inputs in = inputs_for(w, current, unchanged);
  in.stage_links = {measured_link{true, rate, false}, measured_link{}};
  w.rate_mbps[w.pair(a, b)] = rate;
  ASSERT_GT(send_s(w, current.stages[0].last, a, b, 16), period);
  int expected_bits = 2;
  for (int bits = 16; bits > 2 && expected_bits == 2; --bits)
    if (send_s(w, current.stages[0].last, a, b, bits) <= period) expected_bits = bits;
  ASSERT_GT(expected_bits, 2);
  ASSERT_LT(expected_bits, 16);

  replanner r(no_smoothing());
  auto d = r.decide(in);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::change_bits) << d->reason;
  EXPECT_EQ(d->next.epoch, current.epoch);
  EXPECT_EQ(describe(d->next), describe(current));
  EXPECT_EQ(d->next.bits, (std::vector<int>{expected_bits, 16, 0}));
  EXPECT_DOUBLE_EQ(d->new_period_s, period);
  EXPECT_NE(d->reason.find("bits 16 -> " + std::to_string(expected_bits) + " on link 0"),
            std::string::npos)
      << d->reason;
}

// A target rate the plan meets: a slow link keeps its 16 bits, and no faster
// plan is worth a switch.
TEST(Replanner, APlanMeetingTheTargetRateIsKept) {
  world w = three_nodes();
  plan current = start_plan(w);
  double period = period_of(w, unchanged, current.stages);
  double rate = double(frame_bytes(4 * w.out_elements[current.stages[0].last - 1], 16)) * 8 /
                (2 * period) / 1e6; // 16 bits need twice the plan's period
  replan_inputs in = inputs_for(w, current, unchanged);
  in.stage_links = {measured_link{true, rate, false}, measured_link{}};
  replanner_options o = no_smoothing();
  o.target_images_per_s = w.microbatch / (3 * period);
  replanner r(o);
  auto d = r.decide(in);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, replan_action::keep) << d->reason;
  EXPECT_EQ(d->next.bits, current.bits);
  EXPECT_NE(d->reason.find("meets the target"), std::string::npos) << d->reason;
  EXPECT_LT(d->new_period_s, d->current_period_s); // faster exists, but is not needed

  o.target_images_per_s = 0; // as fast as possible: that plan is taken
  replanner fastest(o);
  auto switched = fastest.decide(in);
  ASSERT_TRUE(switched);
  EXPECT_NE(switched->action, replan_action::keep) << switched->reason;
}

TEST(Replanner, ARunningPlanIsKeptWhenNothingFitsTheMemoryLimits) {
  world w = three_nodes();
  plan current = start_plan(w);
  replan_inputs in = inputs_for(w, current, unchanged);
  for (node_state& n : in.nodes) n.memory_mb = 5; // less than one layer's weights
  replanner r(no_smoothing());
  auto d = r.decide(in);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, replan_action::keep) << d->reason;
  EXPECT_NE(d->reason.find("no plan fits the memory limits"), std::string::npos) << d->reason;
}

// Node a 25% slower: the best other plan gains less than the 10% margin
// (6.6% in this world: layers are coarse).
TEST(Replanner, AnImprovementBelowTheMarginKeeps) {
  world w = three_nodes();
  plan current = start_plan(w);
  std::vector<double> factor = {1.25, 1, 1};
  replanner_options o = no_smoothing();
  o.switch_cost_s = 0;
  replanner with_margin(o);
  auto d = with_margin.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, replan_action::keep) << d->reason;
  EXPECT_LT(d->new_period_s, d->current_period_s);
  EXPECT_GE(d->new_period_s * 1.1, d->current_period_s);
  EXPECT_NE(d->reason.find("not better by the margin 10%"), std::string::npos) << d->reason;

  o.margin = 0; // the same situation without a margin switches
  replanner no_margin(o);
  auto switched = no_margin.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->action, replan_action::repartition) << switched->reason;
}

TEST(Replanner, TheSwitchCostIsAmortizedOverTheHorizon) {
  world w = three_nodes();
  plan current = start_plan(w);
  std::vector<double> factor = {1, 4, 1};
  replanner_options o = no_smoothing();
  o.horizon_s = 10;
  o.switch_cost_s = 9; // the pause eats 90% of the horizon: 10x the period
  replanner costly(o);
  auto d = costly.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, replan_action::keep) << d->reason;
  EXPECT_DOUBLE_EQ(d->amortized_new_period_s, d->new_period_s * 10);
  EXPECT_LT(d->new_period_s, d->current_period_s);

  o.switch_cost_s = 0.5;
  replanner cheap(o);
  auto switched = cheap.decide(inputs_for(w, current, factor));
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->action, replan_action::repartition) << switched->reason;
  EXPECT_DOUBLE_EQ(switched->amortized_new_period_s, switched->new_period_s * 10 / 9.5);
}

TEST(Replanner, TwoSwitchesAreAtLeastTheMinimumIntervalApart) {
  world w = three_nodes();
  replanner_options o = no_smoothing();
  o.min_interval_s = 5;
  replanner r(o);
  auto first = r.decide(inputs_for(w, start_plan(w), {1, 4, 1}, 100 * second));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->action, replan_action::repartition) << first->reason;

  // 2 s later node c slows down 4x too: worth a switch, but too early.
  std::vector<double> later = {1, 1, 4};
  auto early = r.decide(inputs_for(w, first->next, later, 102 * second));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->action, replan_action::keep) << early->reason;
  EXPECT_LT(early->new_period_s * 1.1, early->current_period_s);
  EXPECT_NE(early->reason.find("min interval 5 s"), std::string::npos) << early->reason;

  auto exactly = r.decide(inputs_for(w, first->next, later, 105 * second));
  ASSERT_TRUE(exactly);
  EXPECT_EQ(exactly->action, replan_action::repartition) << exactly->reason;
  EXPECT_EQ(exactly->next.epoch, first->next.epoch + 1);
}

TEST(Replanner, SmoothingWeighsNewMeasurements) {
  world w = three_nodes();
  plan current = start_plan(w);
  replanner_options o;
  o.smoothing = 0.5;
  o.margin = 100; // only the factors are under test
  replanner r(o);
  ASSERT_TRUE(r.decide(inputs_for(w, current, {1, 4, 1})));
  EXPECT_EQ(r.slowdown()[1], 2.5); // 0.5 * 4 + 0.5 * 1
  ASSERT_TRUE(r.decide(inputs_for(w, current, {1, 4, 1})));
  EXPECT_EQ(r.slowdown()[1], 3.25);
  EXPECT_EQ(r.slowdown()[0], 1);
}

TEST(Replanner, ALostNodeIsReplacedAtOnceOverTheSurvivors) {
  world w = three_nodes();
  replanner_options o = no_smoothing();
  o.min_interval_s = 60;
  replanner r(o);
  plan current = start_plan(w);
  auto first = r.decide(inputs_for(w, current, {1, 4, 1}, 0));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->action, replan_action::repartition);
  current = first->next;
  int lost = current.stages[0].node;
  w.alive[lost] = false;
  auto d = r.decide(inputs_for(w, current, {1, 4, 1}, 1 * second)); // within the interval
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::repartition) << d->reason;
  EXPECT_EQ(d->current_period_s, std::numeric_limits<double>::infinity());
  EXPECT_EQ(layers_on(d->next, lost), 0);
  EXPECT_DOUBLE_EQ(d->new_period_s, brute_force(w, {1, 4, 1}).period);
  EXPECT_NE(d->reason.find("node " + w.names[lost] + " (stage 0) is lost"), std::string::npos)
      << d->reason;
}

TEST(Replanner, GivesUpNamingTheMissingMemory) {
  world w = three_nodes();
  w.memory_mb = {46, 45.5, 45}; // four 10 MB layers each: all three are needed
  plan current = make_plan({{0, 1, 4}, {1, 5, 8}, {2, 9, 12}}, 16);
  ASSERT_TRUE(fits_everywhere(w, current));
  w.alive[1] = false;
  replanner r(no_smoothing());
  auto d = r.decide(inputs_for(w, current, unchanged));
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->action, replan_action::give_up) << d->reason;
  EXPECT_EQ(describe(d->next), describe(current));
  EXPECT_FALSE(brute_force(w, unchanged).stages.size() > 0);

  // Independently: the least the roomiest survivor (a) lacks over every plan
  // on the survivors in which the other stages fit.
  double exact = std::numeric_limits<double>::infinity();
  for (int k = 1; k < 12; ++k)
    for (auto order : {std::vector<int>{0, 2}, std::vector<int>{2, 0}}) {
      std::vector<stage_assignment> s = {{order[0], 1, k}, {order[1], k + 1, 12}};
      const stage_assignment& on_a = s[order[0] == 0 ? 0 : 1];
      const stage_assignment& on_c = s[order[0] == 0 ? 1 : 0];
      if (!fits(w, on_c)) continue;
      exact = std::min(exact, memory_need_mb(w, on_a.first, on_a.last) - 46);
    }
  exact = std::min(exact, memory_need_mb(w, 1, 12) - 46); // a alone
  EXPECT_GT(d->shortfall_mb, exact);
  EXPECT_LE(d->shortfall_mb, exact + 0.15); // bisected to 0.05 MB, rounded up to 0.1
  EXPECT_NE(d->reason.find("node b (stage 1) is lost"), std::string::npos) << d->reason;
  EXPECT_NE(d->reason.find("the roomiest, a (46.0 MB), would need"), std::string::npos)
      << d->reason;
}

TEST(Replanner, MalformedInputsAreErrorsNamingTheField) {
  world w = three_nodes();
  replan_inputs in = inputs_for(w, start_plan(w), unchanged);
  in.min_bits[1] = 8;
  in.max_bits[1] = 4;
  replanner r;
  auto d = r.decide(in);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::invalid_argument);
  EXPECT_NE(d.error().message.find("bits of a -> b"), std::string::npos) << d.error().message;

  in = inputs_for(w, start_plan(w), unchanged);
  in.current.stages.back().last = 11;
  d = r.decide(in);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("stops at layer 11"), std::string::npos) << d.error().message;
}

} // namespace
} // namespace edgepipe::runtime
