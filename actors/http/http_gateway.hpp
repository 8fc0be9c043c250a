// The HTTP gateway: listens on its own threads (Boost.Beast over Asio,
// optionally TLS), turns each request into the typed messages of the
// service (see http_api.hpp) and never blocks CAF's scheduler. Beast stays
// inside http_gateway.cpp: this header is all the binary sees. Start and
// stop it from the thread that owns the actor system.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/http/http_options.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

class http_gateway {
 public:
  /// Listens on `opts.address`:`opts.port` (validated options) and serves
  /// `router`. Errors: invalid_argument if the certificate or key cannot
  /// be loaded, storage_unavailable if the address cannot be bound.
  static caf::expected<std::unique_ptr<http_gateway>>
  start(caf::actor_system& sys, const router_actor& router, http_options opts);

  /// Stops it (see stop) and frees the connections still open. Destroy it
  /// only once the service has stopped (and every actor with it): the
  /// service answers the gateway's requests through it.
  ~http_gateway();

  http_gateway(const http_gateway&) = delete;
  http_gateway& operator=(const http_gateway&) = delete;

  /// The port it listens on.
  uint16_t port() const;

  /// Stops taking requests: closes the listener and the connections that
  /// wait for a request; a request being served gets its response, then
  /// its connection closes. Event streams go on until the service ends
  /// them: stop the service after this, and its owners end each stream
  /// with a `dropped` event. Returns at once.
  void drain();

  /// Drains, gives the connections still open up to a second to finish
  /// their last writes, then stops the network threads and waits for them.
  /// Requests the service still works on then are never answered.
  void stop();

  struct impl;

 private:
  explicit http_gateway(std::shared_ptr<impl> pimpl);

  std::shared_ptr<impl> impl_;
};

} // namespace statekeeper
