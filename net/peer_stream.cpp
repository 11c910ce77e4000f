#include "net/peer_stream.hpp"

#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

namespace edgepipe::net {

namespace {

// Every error OpenSSL queued on this thread, oldest first; clears the queue.
std::string openssl_errors() {
  std::string msg;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!msg.empty()) msg += "; ";
    msg += buf;
  }
  return msg.empty() ? "no OpenSSL error queued" : msg;
}

} // namespace

expected<std::shared_ptr<tls_server>> tls_server::create(const tls_files& files) {
  if (files.ca.empty() || files.certificate.empty() || files.key.empty())
    return make_error(errc::invalid_argument,
                      "TLS needs the CA, the certificate and the key (all three)");
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return make_error(errc::internal, "cannot create a TLS context: " + openssl_errors());
  std::shared_ptr<tls_server> server(new tls_server(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A peer that just closes its socket (CAF does) ends the stream; it is no
  // error worth a message.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  // Read ahead into a large buffer: two system calls per 16 kB record (its
  // header, then its body) would otherwise be the gate's main cost.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, 256 * 1024);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1)
    return make_error(errc::invalid_input,
                      "cannot load the certificate " + files.certificate + ": " + openssl_errors());
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return make_error(errc::invalid_input, "cannot load the key " + files.key +
                                               " for the certificate " + files.certificate + ": " +
                                               openssl_errors());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return make_error(errc::invalid_input, "the key " + files.key +
                                               " does not belong to the certificate " +
                                               files.certificate + ": " + openssl_errors());
  if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1)
    return make_error(errc::invalid_input,
                      "cannot load the CA " + files.ca + ": " + openssl_errors());
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str()))
    SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return server;
}

tls_server::~tls_server() {
  SSL_CTX_free(ctx_);
}

peer_stream::peer_stream(int fd, const std::shared_ptr<tls_server>& tls) : fd_(fd) {
  if (!tls) {
    done_ = true;
    return;
  }
  ssl_ = SSL_new(tls->context());
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) {
    reason_ = "cannot start a TLS session: " + openssl_errors();
    return;
  }
  SSL_set_accept_state(ssl_);
}

peer_stream::~peer_stream() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

io_result peer_stream::tls_result(int ret, const char* what) {
  int err = SSL_get_error(ssl_, ret);
  want_write_ = err == SSL_ERROR_WANT_WRITE;
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return {io_status::would_block, 0};
  }
  if (err == SSL_ERROR_ZERO_RETURN) return {io_status::closed, 0};
  if (err == SSL_ERROR_SYSCALL) {
    reason_ = std::string(what) + ": " + (errno ? std::strerror(errno) : "connection closed");
    ERR_clear_error();
    return {io_status::closed, 0};
  }
  reason_ = std::string(what) + ": " + openssl_errors();
  return {io_status::failed, 0};
}

io_status peer_stream::handshake() {
  if (done_) return io_status::ok;
  if (!ssl_) return io_status::failed;
  ERR_clear_error();
  errno = 0;
  int ret = SSL_accept(ssl_);
  if (ret == 1) {
    done_ = true;
    want_write_ = false;
    return io_status::ok;
  }
  auto r = tls_result(ret, "TLS handshake failed");
  if (r.status == io_status::would_block) return r.status;
  // Say why in the words that matter to whoever reads the node's log.
  long verify = SSL_get_verify_result(ssl_);
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (verify != X509_V_OK)
    reason_ = std::string("certificate refused: ") + X509_verify_cert_error_string(verify) + " (" +
              reason_ + ")";
  else if (!cert && reason_.find("peer did not return a certificate") != std::string::npos)
    reason_ = "no client certificate (" + reason_ + ")";
  else if (reason_.find("wrong version number") != std::string::npos ||
           reason_.find("http request") != std::string::npos ||
           reason_.find("packet length too long") != std::string::npos)
    reason_ = "not a TLS client: nothing is accepted in the clear (" + reason_ + ")";
  else if (r.status == io_status::closed)
    reason_ = "closed during the TLS handshake (" + reason_ + ")";
  return io_status::failed;
}

io_result peer_stream::read(void* buf, size_t n) {
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    int ret = SSL_read(ssl_, buf, static_cast<int>(n));
    if (ret > 0) return {io_status::ok, static_cast<size_t>(ret)};
    return tls_result(ret, "TLS read failed");
  }
  ssize_t r = ::recv(fd_, buf, n, 0);
  if (r > 0) return {io_status::ok, static_cast<size_t>(r)};
  if (r == 0) return {io_status::closed, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {io_status::would_block, 0};
  reason_ = std::string("read failed: ") + std::strerror(errno);
  return {io_status::closed, 0};
}

io_result peer_stream::write(const void* buf, size_t n) {
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    int ret = SSL_write(ssl_, buf, static_cast<int>(n));
    if (ret > 0) return {io_status::ok, static_cast<size_t>(ret)};
    return tls_result(ret, "TLS write failed");
  }
  ssize_t r = ::send(fd_, buf, n, MSG_NOSIGNAL);
  if (r >= 0) return {io_status::ok, static_cast<size_t>(r)};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {io_status::would_block, 0};
  reason_ = std::string("write failed: ") + std::strerror(errno);
  return {io_status::closed, 0};
}

bool peer_stream::has_buffered() const {
  return ssl_ && SSL_pending(ssl_) > 0;
}

} // namespace edgepipe::net
