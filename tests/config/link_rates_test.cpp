// Link rates: a positive rate under 1 kbit/s is refused when the file is read,
// and a plan whose frame cannot cross a link within request_timeout_s is
// refused with the link, the rate, the frame's size and time.
#include <gtest/gtest.h>

#include <string>

#include "config/link_rates.hpp"
#include "config/topology.hpp"
#include "planner/wire_size.hpp"

namespace edgepipe::config {
namespace {

const std::string base = "nodes:\n"                                 // 1
                         "  - {name: a, address: h:1}\n"            // 2
                         "  - {name: b, address: h:2}\n"            // 3
                         "model: {synthetic: vit-base}\n"           // 4
                         "workload: {synthetic: true, count: 8}\n"; // 5

// ViT-Base's activation between blocks: 197 tokens x 768 values per image.
constexpr int64_t vit_base_elements = 197 * 768;

std::string error_of(const std::string& extra) {
  auto topo = parse_topology(base + extra, "r.yaml");
  return topo ? std::string() : topo.error().message;
}

TEST(LinkRates, PositiveRatesUnder1KbitAreRefusedWhenRead) {
  EXPECT_EQ(error_of("links: {rate_mbps: 1e-20}\n"),
            "r.yaml:6:20: links.rate_mbps: expected a rate >= 0.001 Mbit/s (1 kbit/s) or "
            "'unlimited', got 1e-20");
  EXPECT_NE(error_of("links: {rate_mbps: 1e-6}\n").find("got 1e-6"), std::string::npos);
  EXPECT_EQ(error_of("links: {trace: [[0, 10], [5, 1e-9], [6, 0], [7, 5]]}\n"),
            "r.yaml:6:30: expected 0 (an outage) or a rate >= 0.001 Mbit/s (1 kbit/s), got 1e-09");
  EXPECT_EQ(error_of("links: {rate_mbps: 0.001}\n"), "");
  EXPECT_EQ(error_of("links: {trace: [[0, 10], [5, 0], [7, 0.001]]}\n"), "");
}

TEST(LinkRates, SustainedRateOfEachKind) {
  auto topo = parse_topology(base + "links:\n"
                                    "  rate_mbps: 5\n"
                                    "  overrides:\n"
                                    "    - {from: a, to: b, trace: [[0, 10], [2, 0], [3, 4]]}\n"
                                    "    - {from: b, to: a, trace: [[0, 10], [2, 0]], "
                                    "repeat_every_s: 4}\n");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_EQ(sustained_mbps(topo->links.default_link), 5);
  EXPECT_EQ(sustained_mbps(topo->links.overrides[0].bandwidth), 4); // the last rate holds
  EXPECT_EQ(sustained_mbps(topo->links.overrides[1].bandwidth), 5); // 10 for 2 s of 4
  EXPECT_LT(sustained_mbps(bandwidth_spec{}), 0);                   // unlimited
}

TEST(LinkRates, AFrameThatCannotCrossInTimeIsRefusedNamingTheLink) {
  // 0.01 Mbit/s: a raw ViT-Base frame (605,240 bytes) takes 484 s > 30 s.
  auto topo = parse_topology(base + "links: {rate_mbps: 0.01}\n", "r.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  const int64_t bytes = planner::frame_bytes(vit_base_elements, 0);
  auto checked = check_link_rates(*topo, {{0, "a", "b", vit_base_elements}});
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, errc::invalid_input);
  EXPECT_EQ(checked.error().message,
            "r.yaml:6:8: link a -> b (after stage 0): at 0.01 Mbit/s a frame of " +
                std::to_string(bytes) +
                " bytes (151296 values at 32-bit float) takes 484 s, longer than "
                "runtime.request_timeout_s (30 s); expected at least 0.161 Mbit/s, or fewer "
                "bits, a smaller microbatch or a longer request_timeout_s");
  // The same link with 2-bit frames, or a longer timeout, is fine.
  auto fewer_bits = parse_topology(base + "links: {rate_mbps: 0.01}\nquantization: {bits: 2}\n"
                                          "runtime: {request_timeout_s: 60}\n");
  ASSERT_TRUE(fewer_bits);
  EXPECT_TRUE(check_link_rates(*fewer_bits, {{0, "a", "b", vit_base_elements}}));
  auto patient = parse_topology(base + "links: {rate_mbps: 0.01}\n"
                                       "runtime: {request_timeout_s: 600}\n");
  ASSERT_TRUE(patient);
  EXPECT_TRUE(check_link_rates(*patient, {{0, "a", "b", vit_base_elements}}));
}

TEST(LinkRates, AnAdaptiveLinkIsCheckedAtTheBitsItStartsWith) {
  auto topo = parse_topology(base + "links: {rate_mbps: 0.05}\n"
                                    "quantization: {bits: adaptive, min_bits: 2, max_bits: 16}\n",
                             "r.yaml");
  ASSERT_TRUE(topo);
  auto checked = check_link_rates(*topo, {{0, "a", "b", vit_base_elements}});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("at 16 bits, where an adaptive link starts"),
            std::string::npos)
      << checked.error().message;
}

TEST(LinkRates, ATraceIsCheckedAtTheRateThatLasts) {
  // Slow for a while is fine; slow for good is not.
  auto dip = parse_topology(base + "links: {trace: [[0, 0.002], [10, 50]]}\n");
  ASSERT_TRUE(dip);
  EXPECT_TRUE(check_link_rates(*dip, {{0, "a", "b", vit_base_elements}}));
  auto stuck = parse_topology(base + "links: {trace: [[0, 50], [10, 0.002]]}\n", "r.yaml");
  ASSERT_TRUE(stuck);
  auto checked = check_link_rates(*stuck, {{0, "a", "b", vit_base_elements}});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("at 0.002 Mbit/s (the trace's lasting rate)"),
            std::string::npos)
      << checked.error().message;
  // Unlimited links and per-pair overrides: only the slow pair is refused.
  auto pair = parse_topology(base + "links:\n  overrides:\n    - {from: b, to: a, rate_mbps: "
                                    "0.01}\n",
                             "r.yaml");
  ASSERT_TRUE(pair) << pair.error().message;
  EXPECT_TRUE(check_link_rates(*pair, {{0, "a", "b", vit_base_elements}}));
  auto refused = check_link_rates(*pair, {{0, "b", "a", vit_base_elements}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.rfind("r.yaml:8:7: link b -> a (after stage 0)", 0), 0u)
      << refused.error().message;
}

} // namespace
} // namespace edgepipe::config
