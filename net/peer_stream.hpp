// peer_stream: the public side of one gate connection, a non-blocking socket
// read and written either in the clear or through a TLS session that the
// gate terminates. With TLS, the handshake must finish (the peer's
// certificate verified against the node's CA) before a byte is read.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/expected.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace edgepipe::net {

// The node's certificate and key, and the CA its peers' certificates must
// be signed by. All three or none.
struct tls_files {
  std::string ca, certificate, key;
  bool enabled() const { return !ca.empty() || !certificate.empty() || !key.empty(); }
};

// A TLS server context that demands a certificate from every client and
// verifies it against the CA.
class tls_server {
public:
  static expected<std::shared_ptr<tls_server>> create(const tls_files& files);
  ~tls_server();
  tls_server(const tls_server&) = delete;
  tls_server& operator=(const tls_server&) = delete;
  SSL_CTX* context() const { return ctx_; }

private:
  explicit tls_server(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_ = nullptr;
};

enum class io_status { ok, would_block, closed, failed };

struct io_result {
  io_status status = io_status::ok;
  size_t bytes = 0;
};

class peer_stream {
public:
  // Takes ownership of `fd` (non-blocking). `tls` null: in the clear.
  peer_stream(int fd, const std::shared_ptr<tls_server>& tls);
  ~peer_stream();
  peer_stream(const peer_stream&) = delete;
  peer_stream& operator=(const peer_stream&) = delete;

  int fd() const { return fd_; }
  // Advances the TLS handshake: ok when done (always, in the clear),
  // would_block while it needs more round trips, failed with reason() set
  // when the peer is refused (no certificate, one the CA did not sign, not
  // TLS at all).
  io_status handshake();
  bool handshake_done() const { return done_; }
  io_result read(void* buf, size_t n);
  io_result write(const void* buf, size_t n);
  // The socket events the last would_block waits for.
  bool wants_write() const { return want_write_; }
  // Decrypted bytes buffered inside the TLS session: readable without the
  // socket becoming readable.
  bool has_buffered() const;
  const std::string& reason() const { return reason_; }

private:
  io_result tls_result(int ret, const char* what);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool done_ = false;
  bool want_write_ = false;
  std::string reason_;
};

} // namespace edgepipe::net
