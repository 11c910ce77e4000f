// connect_policy: refused connections are retried only for the start-up
// grace, other failures until the timeout; the give-up message names the
// node and asks whether `edgepipe node` runs there.
#include <gtest/gtest.h>

#include "actors/connect_policy.hpp"

using namespace edgepipe::actors;

namespace {

TEST(ConnectPolicy, RefusedIsRetriedOnlyWhileANodeMayBeStarting) {
  EXPECT_TRUE(retry_connect(connect_failure::refused, 0.0, 10.0));
  EXPECT_TRUE(retry_connect(connect_failure::refused, refused_grace_s - 0.1, 10.0));
  EXPECT_FALSE(retry_connect(connect_failure::refused, refused_grace_s, 10.0));
  EXPECT_FALSE(retry_connect(connect_failure::refused, 0.5, 0.5)); // a shorter timeout wins
}

TEST(ConnectPolicy, AHandshakeClosedByTheNodeIsRetriedOnlyBriefly) {
  EXPECT_TRUE(retry_connect(connect_failure::handshake, 0.0, 10.0));
  EXPECT_FALSE(retry_connect(connect_failure::handshake, refused_grace_s, 10.0));
  auto m = connect_error_message("a", "127.0.0.1", 7001, connect_failure::handshake, 2.0,
                                 "disconnect_during_handshake");
  EXPECT_EQ(m.rfind("cannot reach node 'a' at 127.0.0.1:7001: it closed the connection during "
                    "the handshake",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("mutual TLS"), std::string::npos) << m;
  EXPECT_NE(m.find("(disconnect_during_handshake)"), std::string::npos) << m;
}

TEST(ConnectPolicy, OtherFailuresAreRetriedUntilTheTimeout) {
  EXPECT_TRUE(retry_connect(connect_failure::other, refused_grace_s + 1, 10.0));
  EXPECT_TRUE(retry_connect(connect_failure::other, 9.9, 10.0));
  EXPECT_FALSE(retry_connect(connect_failure::other, 10.0, 10.0));
}

TEST(ConnectPolicy, MessagesNameTheNodeAndGiveTheHint) {
  EXPECT_EQ(connect_error_message("b", "127.0.0.1", 7002, connect_failure::refused, 2.04,
                                  "cannot_connect_to_node"),
            "cannot reach node 'b' at 127.0.0.1:7002 (connection refused for 2.0 s): is "
            "`edgepipe node` running there? (cannot_connect_to_node)");
  EXPECT_EQ(connect_error_message("c", "10.0.0.9", 7003, connect_failure::other, 10.0, "timeout"),
            "cannot reach node 'c' at 10.0.0.9:7003 within 10.0 s: is `edgepipe node` running "
            "there, and is the host reachable? (timeout)");
}

} // namespace
