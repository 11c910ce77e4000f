#include "net/basp_guard.hpp"

#include <algorithm>
#include <cstdio>

namespace edgepipe::net {

namespace {

std::string mb(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

} // namespace

basp_guard::basp_guard(guard_limits limits, double accepted_at_s)
    : limits_(limits), accepted_at_s_(accepted_at_s), last_byte_s_(accepted_at_s) {}

bool basp_guard::check_header(uint64_t budget_left) {
  const uint8_t op = header_[0];
  const uint64_t len = (uint64_t(header_[basp_payload_len_offset]) << 24) |
                       (uint64_t(header_[basp_payload_len_offset + 1]) << 16) |
                       (uint64_t(header_[basp_payload_len_offset + 2]) << 8) |
                       uint64_t(header_[basp_payload_len_offset + 3]);
  if (op > basp_last_operation) {
    refuse("not a CAF peer: unknown BASP operation " + std::to_string(op) + " in message " +
           std::to_string(headers_ + 1));
    return false;
  }
  if (headers_ == 0 && op != basp_client_handshake) {
    refuse("not a CAF peer: its first message is operation " + std::to_string(op) +
           ", not a client handshake");
    return false;
  }
  if (len > limits_.max_payload) {
    refuse("a message header claims " + mb(len) + ", more than the limit of " +
           mb(limits_.max_payload) + " (--max-message-mb)");
    return false;
  }
  if (len > charge_ && len - charge_ > budget_left) {
    refuse("a message of " + mb(len) + " would exceed the node's receive budget (" +
           mb(budget_left) + " left, --max-buffered-mb)");
    return false;
  }
  charge_ = std::max(charge_, len);
  ++headers_;
  payload_left_ = len;
  header_have_ = 0;
  if (payload_left_ == 0) ++messages_;
  return true;
}

size_t basp_guard::admit(const uint8_t* data, size_t n, double now_s, uint64_t budget_left) {
  if (refused()) return 0;
  if (n > 0) last_byte_s_ = now_s;
  size_t i = 0;
  while (i < n) {
    if (payload_left_ > 0) {
      uint64_t take = std::min<uint64_t>(payload_left_, n - i);
      payload_left_ -= take;
      i += static_cast<size_t>(take);
      if (payload_left_ == 0) ++messages_;
      continue;
    }
    header_[header_have_++] = data[i];
    if (header_have_ < basp_header_size) {
      ++i;
      continue;
    }
    // The byte that completes a header passes only if the header is good:
    // CAF acts on a header once it holds all 32 bytes, so a refused one never
    // reaches it whole.
    if (!check_header(budget_left)) return i;
    ++i;
  }
  return n;
}

void basp_guard::check_time(double now_s) {
  if (refused()) return;
  if (messages_ == 0 && now_s - accepted_at_s_ > limits_.handshake_timeout_s) {
    refuse("no handshake within " + seconds(limits_.handshake_timeout_s));
    return;
  }
  if (mid_message() && now_s - last_byte_s_ > limits_.stall_timeout_s)
    refuse("stalled mid-message for more than " + seconds(limits_.stall_timeout_s) + " (" +
           std::to_string(payload_left_) + " payload bytes outstanding)");
}

} // namespace edgepipe::net
