// CAF 0.17.6's OpenSSL module (libcaf_openssl, session.cpp) calls
// SSL_get_error after SSL_read, SSL_write, SSL_connect and SSL_accept without
// emptying the thread's OpenSSL error queue first, and only its log
// statements (compiled out in Debian's build) would drain it. SSL_get_error
// reports SSL_ERROR_SSL whenever the queue holds an error, so once one TLS
// connection of a process fails (a node killed), every other TLS connection
// served by the same middleman thread fails at its next read that would
// block: a run over TLS lost all its nodes when one died.
//
// These definitions live in the executable, which comes first in symbol
// lookup, so libcaf_openssl calls them: each empties the queue, as OpenSSL's
// documentation asks of every caller, and calls OpenSSL's own function.
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class Function> Function openssl_own(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto own = openssl_own<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return own(ssl, buf, num);
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto own = openssl_own<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return own(ssl, buf, num);
}

extern "C" int SSL_connect(SSL* ssl) {
  static const auto own = openssl_own<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return own(ssl);
}

extern "C" int SSL_accept(SSL* ssl) {
  static const auto own = openssl_own<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return own(ssl);
}
