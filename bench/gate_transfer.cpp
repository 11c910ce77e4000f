// bench_gate_transfer: what the node's gate costs. One process, two actor
// systems over loopback, as a run process and a node talk: the client sends
// 1 MiB byte vectors to an actor of the server system, which answers each
// with its size; a window of requests in flight. The server is reached
//   plain      through CAF's own publish (TCP, no gate: the node before the gate)
//   gate       through the gate (TCP to the gate, a socketpair to CAF)
//   gate-tls   through the gate terminating mutual TLS, the client on CAF's OpenSSL module
//   caf-tls    through caf::openssl::publish (CAF's TLS on both ends, no gate)
// Rounds alternate the set-ups so a shared machine's noise hits all.
//
//   bench_gate_transfer --certs DIR [--mb 512] [--window 8] [--rounds 3]
//   (DIR from examples/tls/make_certs.sh DIR server client; bench/gate_transfer.sh does it)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>

#include "actors/register_types.hpp"
#include "actors/transport.hpp"
#include "cli/node_gate.hpp"

using namespace edgepipe;

namespace {

caf::behavior counter(caf::event_based_actor*) {
  return {[](const std::vector<char>& bytes) { return static_cast<uint64_t>(bytes.size()); }};
}

// Sends `count` messages of `size` bytes with `window` unanswered at most.
caf::behavior sender(caf::event_based_actor* self, caf::actor target, int count, size_t size,
                     int window, std::shared_ptr<std::promise<bool>> done) {
  auto payload = std::make_shared<std::vector<char>>(size, 'x');
  auto sent = std::make_shared<int>(0);
  auto answered = std::make_shared<int>(0);
  auto send_one = std::make_shared<std::function<void()>>();
  *send_one = [=] {
    ++*sent;
    self->request(target, std::chrono::seconds(60), *payload)
        .then(
            [=](uint64_t) {
              if (++*answered == count) {
                done->set_value(true);
                self->quit();
              } else if (*sent < count) {
                (*send_one)();
              }
            },
            [=](caf::error&) {
              done->set_value(false);
              self->quit();
            });
  };
  for (int i = 0; i < window && i < count; ++i) (*send_one)();
  return {[](int) {}}; // answers arrive through then() above
}

struct options {
  std::string certs;
  int mb = 512, window = 8, rounds = 3;
};

// MB/s of one transfer in set-up `mode`; negative on failure.
double transfer(const std::string& mode, const options& o) {
  const bool tls_client = mode == "gate-tls" || mode == "caf-tls";
  caf::actor_system_config server_cfg, client_cfg;
  actors::configure_system(server_cfg);
  actors::configure_system(client_cfg);
  actors::tls_paths server_tls{o.certs + "/ca.pem", o.certs + "/server.pem",
                               o.certs + "/server.key"};
  actors::tls_paths client_tls{o.certs + "/ca.pem", o.certs + "/client.pem",
                               o.certs + "/client.key"};
  if (mode == "caf-tls") actors::configure_tls(server_cfg, server_tls);
  if (tls_client) actors::configure_tls(client_cfg, client_tls);
  caf::actor_system server{server_cfg}, client{client_cfg};
  auto sink = server.spawn(counter);
  std::unique_ptr<net::gate> gate;
  uint16_t port = 0;
  if (mode == "plain") {
    auto p = server.middleman().publish(sink, 0, "127.0.0.1", true);
    if (!p) return -1;
    port = *p;
  } else if (mode == "caf-tls") {
    auto p = caf::openssl::publish(sink, 0, "127.0.0.1", true);
    if (!p) return -1;
    port = *p;
  } else {
    net::gate_options g;
    g.host = "127.0.0.1";
    if (mode == "gate-tls") {
      auto t = net::tls_server::create({server_tls.ca, server_tls.certificate, server_tls.key});
      if (!t) {
        std::fprintf(stderr, "%s\n", t.error().message.c_str());
        return -1;
      }
      g.tls = *t;
    }
    auto opened =
        cli::open_node_gate(server, caf::actor_cast<caf::strong_actor_ptr>(sink),
                            server.message_types(sink), g, std::make_shared<std::string>("bench"));
    if (!opened) return -1;
    gate = std::move(*opened);
    gate->start();
    port = gate->port();
  }
  auto target = tls_client ? caf::openssl::remote_actor(client, "127.0.0.1", port)
                           : client.middleman().remote_actor("127.0.0.1", port);
  if (!target) {
    std::fprintf(stderr, "%s: cannot connect: %s\n", mode.c_str(),
                 client.render(target.error()).c_str());
    return -1;
  }
  const size_t size = 1 << 20;
  auto done = std::make_shared<std::promise<bool>>();
  auto finished = done->get_future();
  auto t0 = std::chrono::steady_clock::now();
  client.spawn(sender, *target, o.mb, size, o.window, done);
  bool ok = finished.get();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (gate) gate->stop();
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  return ok ? o.mb * double(size) / (1 << 20) / s : -1;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--certs")
      o.certs = argv[i + 1];
    else if (k == "--mb")
      o.mb = std::atoi(argv[i + 1]);
    else if (k == "--window")
      o.window = std::atoi(argv[i + 1]);
    else if (k == "--rounds")
      o.rounds = std::atoi(argv[i + 1]);
  }
  if (o.certs.empty()) {
    std::fprintf(stderr, "usage: bench_gate_transfer --certs DIR [--mb N] [--window W] "
                         "[--rounds R]\n(DIR: examples/tls/make_certs.sh DIR server client)\n");
    return 2;
  }
  const std::vector<std::string> modes = {"plain", "gate", "gate-tls", "caf-tls"};
  std::map<std::string, std::vector<double>> rates;
  for (int r = 0; r < o.rounds; ++r)
    for (const auto& m : modes) {
      double mbs = transfer(m, o);
      std::printf("round %d %-9s %8.1f MiB/s\n", r + 1, m.c_str(), mbs);
      std::fflush(stdout);
      rates[m].push_back(mbs);
    }
  std::printf("\n%d MiB in 1 MiB messages, window %d, %d rounds (min-max MiB/s):\n", o.mb, o.window,
              o.rounds);
  for (const auto& m : modes) {
    auto [lo, hi] = std::minmax_element(rates[m].begin(), rates[m].end());
    std::printf("  %-9s %8.1f - %8.1f\n", m.c_str(), *lo, *hi);
  }
  return 0;
}
