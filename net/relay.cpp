#include "net/relay.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace edgepipe::net {

void byte_buffer::consumed(size_t n) {
  head_ += n;
  if (head_ == tail_) {
    head_ = tail_ = 0;
  } else if (head_ > data_.size() / 2) {
    std::memmove(data_.data(), data_.data() + head_, tail_ - head_);
    tail_ -= head_;
    head_ = 0;
  }
}

relay::relay(int peer_fd, std::string peer, const std::shared_ptr<tls_server>& tls,
             const guard_limits& limits, double now_s, size_t buffer_bytes)
    : peer_name_(std::move(peer)), peer_(peer_fd, tls), guard_(limits, now_s), up_(buffer_bytes),
      down_(buffer_bytes), stall_timeout_s_(limits.stall_timeout_s), last_write_s_(now_s) {}

relay::~relay() {
  if (inner_ >= 0) ::close(inner_);
}

void relay::refuse(const std::string& why) {
  refusal_ = why;
  finish();
}

void relay::finish() {
  if (inner_ >= 0) ::close(inner_);
  inner_ = -1;
  finished_ = true;
}

short relay::peer_events() const {
  if (finished_) return 0;
  short ev = 0;
  if (!peer_.handshake_done()) return POLLIN | (peer_.wants_write() ? POLLOUT : 0);
  if (!peer_eof_ && up_.space() > 0) ev |= POLLIN;
  if (!down_.empty() || peer_.wants_write()) ev |= POLLOUT;
  return ev;
}

short relay::inner_events() const {
  if (finished_ || inner_ < 0) return 0;
  short ev = 0;
  if (!inner_eof_) ev |= POLLRDHUP; // the node closing, even while down_ is full
  if (!inner_eof_ && down_.space() > 0) ev |= POLLIN;
  if (!up_.empty()) ev |= POLLOUT;
  return ev;
}

void relay::step(double now_s, uint64_t budget_left,
                 const std::function<expected<int>()>& open_inner) {
  if (finished_) return;
  if (!peer_.handshake_done()) {
    io_status st = peer_.handshake();
    if (st == io_status::failed || st == io_status::closed) return refuse(peer_.reason());
    if (st == io_status::would_block) {
      guard_.check_time(now_s);
      if (guard_.refused()) refuse(guard_.reason());
      return;
    }
  }
  pump_up(now_s, budget_left, open_inner);
  if (finished_) return;
  peer_took_ = false;
  pump_down();
  if (finished_) return;
  if (down_.empty() || peer_took_) last_write_s_ = now_s;
  // A peer that does not read what the node sends would make CAF buffer it
  // all: it gets the stall timeout too.
  if (!down_.empty() && now_s - last_write_s_ > stall_timeout_s_) {
    char why[96];
    std::snprintf(why, sizeof why, "does not read what the node sends (nothing taken for %g s)",
                  stall_timeout_s_);
    return refuse(why);
  }
  // While the node has not taken what the peer sent, the peer is not the
  // one stalling.
  if (up_.space() > 0) guard_.check_time(now_s);
  if (guard_.refused()) return refuse(guard_.reason());
  // The peer closed: the connection ends once its last bytes reached the
  // node. The node closed: it ends now, whatever the peer has not read (a
  // peer that never reads must not keep it).
  if ((peer_eof_ && up_.empty()) || inner_eof_ || inner_hup_) finish();
}

void relay::pump_up(double now_s, uint64_t budget_left,
                    const std::function<expected<int>()>& open_inner) {
  for (;;) {
    // CAF hears of the peer only once its first header passed the guard:
    // garbage and silent connections never reach it.
    if (inner_ < 0 && guard_.first_header_passed()) {
      auto fd = open_inner();
      if (!fd) return refuse("the node cannot take the connection: " + fd.error().message);
      inner_ = *fd;
    }
    while (inner_ >= 0 && !up_.empty()) {
      ssize_t n = ::send(inner_, up_.head(), up_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        up_.consumed(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      return finish(); // the node closed its side
    }
    if (peer_eof_ || up_.space() == 0) {
      if (inner_ < 0) return finish(); // it closed before saying anything useful
      return;
    }
    // Read all there is before passing it on: a TLS read returns one record
    // (16 kB) at most, a send per record would cost a system call each.
    size_t got = 0;
    while (up_.space() > 0) {
      io_result r = peer_.read(up_.tail(), up_.space());
      if (r.status == io_status::would_block) break;
      if (r.status == io_status::closed) {
        peer_eof_ = true; // pass on what is left, then finish
        break;
      }
      if (r.status == io_status::failed) return refuse(peer_.reason());
      uint64_t before = guard_.charge();
      size_t admitted = guard_.admit(up_.tail(), r.bytes, now_s, budget_left);
      up_.produced(admitted);
      got += admitted;
      uint64_t raised = guard_.charge() - before;
      budget_left = raised < budget_left ? budget_left - raised : 0;
      if (admitted < r.bytes) return refuse(guard_.reason());
    }
    if (got == 0 && !peer_eof_) return;
  }
}

void relay::pump_down() {
  if (inner_ < 0) return;
  for (;;) {
    while (!down_.empty()) {
      io_result w = peer_.write(down_.head(), down_.size());
      if (w.status == io_status::ok) {
        down_.consumed(w.bytes);
        peer_took_ = peer_took_ || w.bytes > 0;
        continue;
      }
      if (w.status == io_status::would_block) break;
      return finish(); // the peer went away
    }
    if (inner_eof_ || down_.space() == 0) return;
    ssize_t n = ::recv(inner_, down_.tail(), down_.space(), 0);
    if (n > 0) {
      down_.produced(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    inner_eof_ = true; // the node closed the connection (or it failed)
  }
}

} // namespace edgepipe::net
