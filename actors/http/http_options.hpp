// How the HTTP gateway listens and what one client may cost it. Filled by
// the binary's configuration (statekeeper.http.*); checked by validate.
// Plain value; any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "actors/access.hpp"

namespace statekeeper {

struct http_options {
  /// Address to listen on. Default: 127.0.0.1 (this machine only).
  std::string address = "127.0.0.1";
  /// TCP port; 0 picks a free one. Default: 0.
  uint16_t port = 0;
  /// PEM files of the server's certificate (chain) and private key; with
  /// both set the gateway serves HTTPS only. Default: none (plain HTTP).
  std::string certificate;
  std::string key;
  /// Allows an address other than loopback without TLS, where tokens and
  /// data would cross the network in clear text. Default: false.
  bool insecure_plaintext = false;
  /// Accepted bearer tokens, as for CAF sessions. Empty: open. Default:
  /// empty.
  std::vector<access_token> tokens;
  /// Largest request body, in bytes; larger ones get 413. Default: 8 MiB.
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  /// Most bytes the bodies of the requests being read or served may hold
  /// at once, all connections: a request's body counts from its headers
  /// (its Content-Length, or max_body_bytes if it does not say) to its
  /// response, and one that does not fit gets 429. At least
  /// max_body_bytes. Default: 64 MiB.
  uint64_t max_buffered_bytes = 64 * 1024 * 1024;
  /// Largest request line plus headers, in bytes; larger ones get 431.
  /// Default: 16 KiB.
  uint32_t max_header_bytes = 16 * 1024;
  /// Most connections open at once; newer ones are closed at once.
  /// Default: 1024.
  uint32_t max_connections = 1024;
  /// Most requests of all connections waiting for the service; more get
  /// 429. Default: 4096.
  uint32_t max_in_flight = 4096;
  /// How long a kept-alive connection may wait for its next request.
  /// Default: 60 s.
  caf::timespan idle_timeout = std::chrono::seconds{60};
  /// How long a request may take to arrive, from its first byte to its
  /// last, and a response to be written: a client that sends or reads one
  /// byte a second is cut off. Default: 10 s.
  caf::timespan io_timeout = std::chrono::seconds{10};
  /// How long the gateway waits for the service to answer; then 504.
  /// Default: 30 s.
  caf::timespan service_timeout = std::chrono::seconds{30};
  /// Threads running the connections (outside CAF's scheduler). Default: 1.
  uint32_t threads = 1;
};

/// Whether `opts` serves HTTPS.
inline bool serves_tls(const http_options& opts) {
  return !opts.certificate.empty();
}

/// Checks `opts`: certificate and key together, limits positive, timeouts
/// positive and at most a day, a non-loopback address only with TLS or
/// insecure_plaintext (the tokens are those of remote_options, checked there).
/// Errors: invalid_argument naming the option (as statekeeper.http.NAME).
[[nodiscard]] caf::error validate(const http_options& opts);

} // namespace statekeeper
