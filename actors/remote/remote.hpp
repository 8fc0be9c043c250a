// The service over CAF networking. `publish_service` puts a gateway in front
// of the router on a TCP port (optionally TLS); `connect_service` obtains,
// from another node, a handle with the same typed interface as in-process.
// Each connect_service call opens one session: the gateway checks its access
// token, confines it to its tenant and bounds its requests in flight.
// Both actor systems must load the middleman
// (`cfg.load<caf::io::middleman>()`), and for TLS also
// `cfg.load<caf::openssl::manager>()`, and call `register_types` on their
// config. Call from any thread that owns the system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/timestamp.hpp>

#include "actors/access.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

/// How the service is reachable from other nodes.
struct remote_options {
  /// Address to listen on. Default: 127.0.0.1 (this machine only).
  std::string address = "127.0.0.1";
  /// TCP port; 0 picks a free one (publish_service returns it).
  /// Default: 7411.
  uint16_t port = 7411;
  /// Serve TLS through CAF's openssl module, configured by the actor
  /// system's `openssl.*` options: certificate and key; with `cafile` or
  /// `capath` set, peers must present a certificate signed by that CA. Without
  /// any of them the channel is encrypted but nobody is authenticated.
  /// Default: false.
  bool tls = false;
  /// Allows an address other than loopback without mutual TLS. CAF reads
  /// a whole frame, of any announced size, before any check of ours runs,
  /// and only a TLS handshake with client certificates stops a stranger
  /// before that; so by default publish_service refuses a non-loopback
  /// address unless `tls` is set and the actor system has certificates and
  /// a CA (mutual TLS). Default: false.
  bool insecure_no_client_auth = false;
  /// Accepted tokens. Empty: the service is open, every session may touch
  /// every namespace. Default: empty.
  std::vector<access_token> tokens;
  /// Several nodes: the cluster's peer token (cluster_options::peer_token).
  /// A session opened with it may touch every namespace and is a peer
  /// session: a request about a namespace this node does not own fails
  /// with `not_owner` instead of going on to the owner. Default: empty
  /// (a single node).
  std::string peer_token;
  /// Most requests of one session waiting for their reply; more are refused
  /// with limit_exceeded. Default: 256.
  uint32_t max_in_flight = 256;
  /// Largest request (keys, values, prefixes and cursors added up), in bytes;
  /// larger ones are refused with limit_exceeded. Default: 8 MiB.
  uint64_t max_request_bytes = 8 * 1024 * 1024;
  /// How long the gateway waits for the service to answer one request before
  /// it answers `timeout` itself. Default: 60 s.
  caf::timespan request_timeout = std::chrono::seconds{60};
};

/// Checks `opts` (tokens non-empty and unique, limits positive).
/// Errors: invalid_argument naming the field.
[[nodiscard]] caf::error validate(const remote_options& opts);

/// Returns true if `address` is a loopback address (127.0.0.0/8, ::1 or
/// "localhost"): reachable from this machine only.
[[nodiscard]] bool is_loopback(const std::string& address);

/// Returns true if `opts` listens where strangers may connect without a
/// client certificate, which the operator allowed with
/// `insecure_no_client_auth` (the binary warns about it).
[[nodiscard]] bool
exposed_without_client_auth(const caf::actor_system_config& cfg,
                            const remote_options& opts);

/// Checks the TLS settings of `cfg` (its `openssl.*` options) before an
/// actor system is built from it. CAF's openssl module runs in one of two
/// modes: with no certificate settings, anonymous TLS (encrypted, nobody
/// authenticated); with any of them, mutual TLS, which needs a certificate,
/// its key and a CA (`cafile` or `capath`) on both ends. Errors:
/// invalid_argument naming what is missing.
[[nodiscard]] caf::error validate_tls(const caf::actor_system_config& cfg);

/// Returns true if `cfg` asks for mutual TLS (see validate_tls).
[[nodiscard]] bool mutual_tls(const caf::actor_system_config& cfg);

/// Publishes the service behind `router` as described by `opts`. Returns the
/// bound port. The gateway stops, and the port is closed, when the router
/// stops. Errors: invalid_argument for bad options, TLS without the openssl
/// module loaded, or a non-loopback address without mutual TLS (unless
/// `insecure_no_client_auth`); CAF's error when it cannot listen (port in
/// use, bad address).
caf::expected<uint16_t> publish_service(caf::actor_system& sys,
                                        const router_actor& router,
                                        const remote_options& opts);

/// How a client reaches a published service.
struct connect_options {
  /// Connect with TLS (the service must publish with TLS). The certificate,
  /// key and CA come from the client system's `openssl.*` options.
  /// Default: false.
  bool tls = false;
  /// Access token; empty when the service is open. Default: empty.
  std::string token;
  /// Longest wait for the connection and the session. Default: 5 s.
  caf::timespan connect_timeout = std::chrono::seconds{5};
  /// Longest the handle waits for the reply to one request before it answers
  /// `timeout` itself. Default: 60 s.
  caf::timespan request_timeout = std::chrono::seconds{60};
};

/// Connects to the service published at `host`:`port` and opens a session.
/// Returns a handle used exactly like an in-process router; the session ends
/// when the last copy of the handle is gone. When the connection is lost,
/// waiting and later requests fail with storage_unavailable; connect again
/// to resume. Errors: storage_unavailable naming the address if no service
/// answers there (or the TLS handshake fails), unauthorized if the token is
/// missing or wrong, timeout after `connect_timeout`.
caf::expected<router_actor> connect_service(caf::actor_system& sys,
                                            const std::string& host,
                                            uint16_t port,
                                            const connect_options& opts = {});

} // namespace statekeeper
