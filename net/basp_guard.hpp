// basp_guard: what a node's gate checks in the bytes a peer sends before they
// reach CAF. CAF 0.17's BASP stream is a sequence of messages, each a 32-byte
// header and a payload whose length the header states (big-endian uint32 at
// offset 4, caf/io/basp/header.hpp; integers in network order). CAF sizes its
// receive buffer from that length before any payload arrives, so a header
// claiming 4 GB costs 4 GB. The guard follows the framing and refuses:
//   - a header whose payload exceeds the per-message limit;
//   - a header whose payload would push the node's receive buffers past the
//     budget shared by all connections (CAF keeps a connection's largest
//     buffer until it closes, so a connection is charged its largest payload);
//   - an unknown operation, or a first message that is not a client handshake
//     (garbage, or not a CAF peer);
//   - a peer that stops mid-message for longer than the stall timeout, or
//     takes longer than the handshake timeout to send its first message.
// Pure: times are given by the caller (seconds on any monotonic clock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace edgepipe::net {

constexpr size_t basp_header_size = 32;
constexpr size_t basp_payload_len_offset = 4;
constexpr uint8_t basp_client_handshake = 0x01;
constexpr uint8_t basp_last_operation = 0x06; // heartbeat

struct guard_limits {
  uint64_t max_payload = 256ull << 20; // bytes per message
  double stall_timeout_s = 10;         // no byte for this long mid-message
  double handshake_timeout_s = 10;     // from accept to the first complete message
};

class basp_guard {
public:
  basp_guard(guard_limits limits, double accepted_at_s);

  // Admits a prefix of `n` received bytes: returns how many may be passed on
  // to CAF. Fewer than `n` means the peer broke a limit: refused() is set and
  // the connection must close. `budget_left` is what the node may still add
  // to its receive buffers (the gate's budget minus every connection's
  // charge); a header that raises this connection's charge by more is refused.
  size_t admit(const uint8_t* data, size_t n, double now_s, uint64_t budget_left);

  // Refuses a peer that stalled mid-message or has not finished its
  // handshake in time. Call it now and then.
  void check_time(double now_s);

  bool refused() const { return !reason_.empty(); }
  const std::string& reason() const { return reason_; }
  // The largest payload admitted so far: the receive buffer CAF keeps for
  // this connection.
  uint64_t charge() const { return charge_; }
  uint64_t messages() const { return messages_; }
  // Whether the peer's first header was good: it speaks BASP, and the
  // node's CAF may hear it (and answer with its own handshake).
  bool first_header_passed() const { return headers_ > 0; }
  bool mid_message() const { return header_have_ > 0 || payload_left_ > 0; }

private:
  bool check_header(uint64_t budget_left); // header_ complete
  void refuse(std::string why) { reason_ = std::move(why); }

  guard_limits limits_;
  double accepted_at_s_;
  double last_byte_s_;
  uint8_t header_[basp_header_size] = {};
  size_t header_have_ = 0;
  uint64_t payload_left_ = 0;
  uint64_t charge_ = 0;
  uint64_t messages_ = 0;
  uint64_t headers_ = 0;
  std::string reason_;
};

} // namespace edgepipe::net
