// relay: one connection through the gate. Bytes from the peer pass the
// basp_guard into the node's inner socket; bytes from the node go back to
// the peer. Each direction has one bounded buffer: a side that cannot take
// more stops the other from being read (TCP's own back-pressure), so a
// relay holds at most two buffers whatever the peers do.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/basp_guard.hpp"
#include "net/peer_stream.hpp"

namespace edgepipe::net {

class byte_buffer {
public:
  explicit byte_buffer(size_t capacity) : data_(capacity) {}
  size_t size() const { return tail_ - head_; }
  size_t space() const { return data_.size() - tail_; }
  bool empty() const { return head_ == tail_; }
  uint8_t* tail() { return data_.data() + tail_; }
  const uint8_t* head() const { return data_.data() + head_; }
  void produced(size_t n) { tail_ += n; }
  void consumed(size_t n);

private:
  std::vector<uint8_t> data_;
  size_t head_ = 0, tail_ = 0;
};

class relay {
public:
  relay(int peer_fd, std::string peer, const std::shared_ptr<tls_server>& tls,
        const guard_limits& limits, double now_s, size_t buffer_bytes);
  ~relay();
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // Moves every byte it can without blocking; opens the inner socket once the
  // peer is admitted (TLS handshake done, a good first BASP header).
  // `budget_left`: see basp_guard.
  void step(double now_s, uint64_t budget_left, const std::function<expected<int>()>& open_inner);

  int peer_fd() const { return peer_.fd(); }
  int inner_fd() const { return inner_; }
  short peer_events() const; // poll() interest
  short inner_events() const;
  // poll() saw the node's end hang up: what it sent before is passed on as
  // far as the peer takes it now, then the connection ends.
  void inner_hung_up() { inner_hup_ = true; }
  bool has_buffered() const { return peer_.has_buffered(); }
  bool finished() const { return finished_; }
  // Why the peer was refused (TLS, a limit): to be logged. Empty when the
  // connection ended normally.
  const std::string& refusal() const { return refusal_; }
  const std::string& peer() const { return peer_name_; }
  uint64_t charge() const { return guard_.charge(); }

private:
  void pump_up(double now_s, uint64_t budget_left,
               const std::function<expected<int>()>& open_inner);
  void pump_down();
  void refuse(const std::string& why);
  void finish();

  std::string peer_name_;
  peer_stream peer_;
  int inner_ = -1;
  basp_guard guard_;
  byte_buffer up_, down_; // peer -> node, node -> peer
  bool peer_eof_ = false, inner_eof_ = false, inner_hup_ = false, finished_ = false;
  bool peer_took_ = false; // the last pump_down wrote to the peer
  double stall_timeout_s_;
  double last_write_s_; // when the peer last took bytes (or down_ was empty)
  std::string refusal_;
};

} // namespace edgepipe::net
