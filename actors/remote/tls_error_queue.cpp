// CAF 0.17's openssl module never empties OpenSSL's per-thread error queue.
// All TLS connections of an actor system share one multiplexer thread, so an
// error left by one connection (a peer that went away) makes SSL_get_error
// misreport a harmless "want read" on the next connection as a failure, and
// CAF drops that healthy connection. OpenSSL requires an empty queue before
// each I/O call; these wrappers empty it, then call OpenSSL's own function.
// They take effect because the program's own definitions of these symbols
// come first in dynamic symbol lookup, including lookups from libcaf_openssl.
#include "actors/remote/tls_error_queue.hpp"

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class Fn>
Fn next_definition(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real
    = next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"

namespace statekeeper {

bool tls_error_queue_guarded() {
  return next_definition<int (*)(SSL*, void*, int)>("SSL_read") != nullptr;
}

} // namespace statekeeper
