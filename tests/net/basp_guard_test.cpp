// basp_guard: a well-formed BASP stream passes however it is cut; a header
// over the size limit, past the budget, with an unknown operation or not
// starting with a client handshake is refused before CAF holds it whole; a
// peer stalled mid-message or slow to shake hands is refused at the timeout.
#include <gtest/gtest.h>

#include <vector>

#include "net/basp_guard.hpp"

using namespace edgepipe::net;

namespace {

std::vector<uint8_t> header(uint8_t op, uint32_t payload_len) {
  std::vector<uint8_t> h(basp_header_size, 0);
  h[0] = op;
  h[4] = uint8_t(payload_len >> 24);
  h[5] = uint8_t(payload_len >> 16);
  h[6] = uint8_t(payload_len >> 8);
  h[7] = uint8_t(payload_len);
  h[31] = 7; // a destination actor, as a direct message has
  return h;
}

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& bytes) {
  to.insert(to.end(), bytes.begin(), bytes.end());
}

// A client handshake with a payload, a heartbeat, a direct message.
std::vector<uint8_t> good_stream() {
  std::vector<uint8_t> s;
  append(s, header(1, 40));
  append(s, std::vector<uint8_t>(40, 0xab));
  append(s, header(6, 0));
  append(s, header(2, 1000));
  append(s, std::vector<uint8_t>(1000, 0xcd));
  return s;
}

constexpr uint64_t lots = uint64_t(1) << 40;

TEST(BaspGuard, AWellFormedStreamPassesHoweverItIsCut) {
  const auto stream = good_stream();
  for (size_t chunk : {size_t(1), size_t(5), size_t(31), size_t(32), size_t(33), stream.size()}) {
    basp_guard g({}, 0.0);
    size_t passed = 0;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      size_t n = std::min(chunk, stream.size() - at);
      passed += g.admit(stream.data() + at, n, 1.0, lots);
    }
    EXPECT_EQ(passed, stream.size()) << "chunk " << chunk;
    EXPECT_FALSE(g.refused()) << g.reason();
    EXPECT_EQ(g.messages(), 3u) << "chunk " << chunk;
    EXPECT_FALSE(g.mid_message());
    EXPECT_EQ(g.charge(), 1000u);
  }
}

TEST(BaspGuard, AHeaderOverTheLimitNeverReachesCafWhole) {
  guard_limits limits;
  limits.max_payload = 256u << 20;
  basp_guard g(limits, 0.0);
  auto s = header(1, 40);
  append(s, std::vector<uint8_t>(40, 0));
  const size_t first = s.size();
  append(s, header(2, 0xfffffff0u)); // 4 GB, then silence
  size_t passed = g.admit(s.data(), s.size(), 1.0, lots);
  EXPECT_EQ(passed, first + basp_header_size - 1); // all but the header's last byte
  ASSERT_TRUE(g.refused());
  EXPECT_NE(g.reason().find("claims 4096.0 MB, more than the limit of 256.0 MB"), std::string::npos)
      << g.reason();
  EXPECT_EQ(g.admit(s.data(), 1, 2.0, lots), 0u); // refused stays refused
}

TEST(BaspGuard, GarbageAndNonCafPeersAreRefused) {
  {
    basp_guard g({}, 0.0);
    const std::string http = "GET / HTTP/1.1\r\nHost: node\r\nUser-Agent: curl\r\n\r\n";
    size_t passed = g.admit(reinterpret_cast<const uint8_t*>(http.data()), http.size(), 1, lots);
    EXPECT_EQ(passed, basp_header_size - 1);
    EXPECT_NE(g.reason().find("not a CAF peer: unknown BASP operation 71"), std::string::npos)
        << g.reason();
  }
  {
    basp_guard g({}, 0.0);
    auto s = header(2, 10); // a direct message before any handshake
    EXPECT_EQ(g.admit(s.data(), s.size(), 1, lots), basp_header_size - 1);
    EXPECT_NE(g.reason().find("not a client handshake"), std::string::npos) << g.reason();
  }
  {
    basp_guard g({}, 0.0);
    auto s = header(1, 0);
    append(s, header(9, 0)); // an unknown operation later on
    EXPECT_EQ(g.admit(s.data(), s.size(), 1, lots), 2 * basp_header_size - 1);
    EXPECT_NE(g.reason().find("unknown BASP operation 9 in message 2"), std::string::npos)
        << g.reason();
  }
}

TEST(BaspGuard, TheBudgetBoundsWhatAConnectionMayRaiseItsBufferTo) {
  basp_guard g({}, 0.0);
  auto s = header(1, 100);
  append(s, std::vector<uint8_t>(100, 0));
  ASSERT_EQ(g.admit(s.data(), s.size(), 1, 1000), s.size());
  EXPECT_EQ(g.charge(), 100u);
  // No budget left: a message no larger than its largest so far still passes
  // (CAF reuses that buffer)...
  auto same = header(2, 100);
  append(same, std::vector<uint8_t>(100, 0));
  EXPECT_EQ(g.admit(same.data(), same.size(), 2, 0), same.size());
  // ... a larger one needs the difference.
  auto larger = header(2, 600);
  EXPECT_EQ(g.admit(larger.data(), larger.size(), 3, 499), basp_header_size - 1);
  EXPECT_NE(g.reason().find("would exceed the node's receive budget"), std::string::npos)
      << g.reason();
  basp_guard h({}, 0.0);
  ASSERT_EQ(h.admit(s.data(), s.size(), 1, 1000), s.size());
  EXPECT_EQ(h.admit(larger.data(), larger.size(), 3, 500), larger.size());
  EXPECT_EQ(h.charge(), 600u);
}

TEST(BaspGuard, APeerStalledMidMessageIsRefusedAtTheTimeout) {
  guard_limits limits;
  limits.stall_timeout_s = 10;
  basp_guard g(limits, 100.0);
  auto s = header(1, 0);
  append(s, header(2, 1000));
  append(s, std::vector<uint8_t>(10, 0)); // 990 bytes still to come
  ASSERT_EQ(g.admit(s.data(), s.size(), 101.0, lots), s.size());
  EXPECT_TRUE(g.mid_message());
  g.check_time(111.0); // 10 s after its last byte: not yet
  EXPECT_FALSE(g.refused());
  g.check_time(111.5);
  ASSERT_TRUE(g.refused());
  EXPECT_NE(g.reason().find("stalled mid-message for more than 10 s (990 payload bytes"),
            std::string::npos)
      << g.reason();
}

TEST(BaspGuard, AnIdlePeerBetweenMessagesIsNotStalled) {
  basp_guard g({}, 0.0);
  auto s = header(1, 0);
  ASSERT_EQ(g.admit(s.data(), s.size(), 1.0, lots), s.size());
  g.check_time(1e6); // CAF's heartbeat timeout judges idle peers, not the gate
  EXPECT_FALSE(g.refused());
}

TEST(BaspGuard, APeerThatNeverCompletesItsHandshakeIsRefused) {
  guard_limits limits;
  limits.handshake_timeout_s = 5;
  basp_guard silent(limits, 0.0);
  silent.check_time(4.9);
  EXPECT_FALSE(silent.refused());
  silent.check_time(5.1);
  ASSERT_TRUE(silent.refused());
  EXPECT_NE(silent.reason().find("no handshake within 5 s"), std::string::npos) << silent.reason();
  // Trickling its handshake keeps no peer in past the handshake timeout.
  basp_guard slow(limits, 0.0);
  auto s = header(1, 100);
  for (int i = 0; i < 40; ++i) slow.admit(s.data() + i, 1, 0.2 * i, lots);
  slow.check_time(8.0);
  EXPECT_TRUE(slow.refused());
}

} // namespace
