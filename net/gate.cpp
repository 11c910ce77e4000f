#include "net/gate.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/relay.hpp"

namespace edgepipe::net {

namespace {

std::string peer_address(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (a.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
  }
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

expected<int> listen_on(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const char* node = host.empty() || host == "0.0.0.0" ? nullptr : host.c_str();
  if (node == nullptr) hints.ai_family = AF_INET;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(node, service.c_str(), &hints, &found); rc != 0)
    return make_error(errc::invalid_argument, "cannot resolve '" + host + "': " + gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); // restart through TIME_WAIT
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
      freeaddrinfo(found);
      return fd;
    }
    last = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  return make_error(errc::io_error,
                    "cannot listen on " + host + ":" + std::to_string(port) + ": " + last);
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

struct gate::impl {
  gate_options opts;
  inner_opener opener;
  gate_log log;
  int listener = -1;
  int wake[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::list<relay> relays;
  mutable std::mutex stats_mutex;
  gate_stats stats;
  // Refusals at the connection cap are logged at most once a second.
  double last_cap_log_s = -1e9;
  double accept_paused_until_s = -1e9;
  uint64_t cap_refusals_unlogged = 0;

  ~impl() {
    if (listener >= 0) close(listener);
    for (int fd : wake)
      if (fd >= 0) close(fd);
  }
  void accept_all(double now);
  void count(uint64_t gate_stats::*field) {
    std::lock_guard<std::mutex> lock(stats_mutex);
    ++(stats.*field);
  }
};

expected<std::unique_ptr<gate>> gate::open(gate_options opts, inner_opener opener, gate_log log) {
  if (!opts.clock) opts.clock = steady_seconds;
  if (opts.max_connections < 1) opts.max_connections = 1;
  auto fd = listen_on(opts.host, opts.port);
  if (!fd) return fd.error();
  std::unique_ptr<gate> g(new gate());
  g->impl_ = std::make_unique<impl>();
  g->impl_->listener = *fd;
  if (pipe2(g->impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    return make_error(errc::io_error, std::string("pipe: ") + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &len);
  g->port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  g->impl_->opts = std::move(opts);
  g->impl_->opener = std::move(opener);
  g->impl_->log = log ? std::move(log) : [](const std::string&) {};
  return g;
}

gate::~gate() {
  stop();
}

void gate::start() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (!thread_.joinable() && !impl_->stopping) thread_ = std::thread([this] { run(); });
}

void gate::stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (!impl_) return;
  impl_->stopping = true;
  char c = 1;
  if (write(impl_->wake[1], &c, 1) < 0) { /* the thread still sees `stopping` on its next tick */
  }
  if (thread_.joinable()) thread_.join();
  impl_->relays.clear();
}

gate_stats gate::stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->stats;
}

void gate::impl::accept_all(double now) {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd =
        accept4(listener, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        accept_paused_until_s = now + 0.1;
        if (now - last_cap_log_s >= 1) {
          log(std::string("cannot accept: ") + std::strerror(errno));
          last_cap_log_s = now;
        }
      }
      return; // EAGAIN, or a connection that died in the backlog
    }
    std::string peer = peer_address(addr);
    if (relays.size() >= static_cast<size_t>(opts.max_connections)) {
      count(&gate_stats::over_limit); // before the peer can see the close
      close(fd);
      ++cap_refusals_unlogged;
      if (now - last_cap_log_s >= 1) {
        log("refused " + peer + ": " + std::to_string(relays.size()) +
            " connections open, the limit (--max-connections); " +
            std::to_string(cap_refusals_unlogged) + " refused for this since the last message");
        last_cap_log_s = now;
        cap_refusals_unlogged = 0;
      }
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    relays.emplace_back(fd, peer, opts.tls, opts.limits, now, opts.buffer_bytes);
    count(&gate_stats::accepted);
  }
}

void gate::run() {
  impl& s = *impl_;
  std::vector<pollfd> fds;
  std::vector<size_t> inner_at; // by relay: its inner socket's index in fds, 0 if none
  while (!s.stopping) {
    fds.clear();
    fds.push_back({s.wake[0], POLLIN, 0});
    fds.push_back({s.listener, POLLIN, 0});
    bool buffered = false;
    inner_at.clear();
    for (const auto& r : s.relays) {
      // A socket nobody waits on is left out (fd -1): poll would report its
      // hang-up at once, again and again.
      short peer = r.peer_events(), inner = r.inner_events();
      fds.push_back({peer ? r.peer_fd() : -1, peer, 0});
      inner_at.push_back(r.inner_fd() >= 0 ? fds.size() : 0);
      if (r.inner_fd() >= 0) fds.push_back({inner ? r.inner_fd() : -1, inner, 0});
      buffered = buffered || r.has_buffered();
    }
    // Out of file descriptors: accept again in 100 ms, not in a busy loop.
    const bool accepting = s.opts.clock() >= s.accept_paused_until_s;
    fds[1].fd = accepting ? s.listener : -1;
    // A second is the resolution of the stall and handshake timeouts.
    int wait_ms = buffered ? 0 : accepting ? 1000 : 100;
    if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) break;
    if (s.stopping) break;
    const double now = s.opts.clock();
    if (fds[1].revents & POLLIN) s.accept_all(now);
    uint64_t charged = 0;
    size_t index = 0;
    for (auto& r : s.relays) {
      charged += r.charge();
      size_t at = index < inner_at.size() ? inner_at[index] : 0; // 0: accepted just now
      ++index;
      if (at && (fds[at].revents & (POLLRDHUP | POLLHUP | POLLERR))) r.inner_hung_up();
    }
    for (auto it = s.relays.begin(); it != s.relays.end();) {
      uint64_t before = it->charge();
      uint64_t left = charged < s.opts.max_buffered ? s.opts.max_buffered - charged : 0;
      it->step(now, left, s.opener);
      charged += it->charge() - before;
      if (!it->finished()) {
        ++it;
        continue;
      }
      if (!it->refusal().empty()) {
        s.log("refused " + it->peer() + ": " + it->refusal());
        s.count(&gate_stats::refused);
      }
      it = s.relays.erase(it);
    }
    std::lock_guard<std::mutex> lock(s.stats_mutex);
    s.stats.open = s.relays.size();
  }
}

} // namespace edgepipe::net
