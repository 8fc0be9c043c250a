// The service over CAF networking: publish the router on a TCP port, and
// obtain a handle to a published router from another node. The handle has
// the same typed interface as in-process; every operation, reply and error
// crosses the wire. Both actor systems must load the middleman
// (`cfg.load<caf::io::middleman>()`) and call `register_types` on their
// config. Call from any thread that owns the actor system.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "messages/interfaces.hpp"

namespace statekeeper {

/// Publishes `router` on `address`:`port` (port 0 picks a free port).
/// Returns the port. Errors: what CAF reports (port in use, bad address).
caf::expected<uint16_t> publish_service(caf::actor_system& sys,
                                        const router_actor& router,
                                        uint16_t port,
                                        const std::string& address
                                        = "127.0.0.1");

/// Connects to a router published at `host`:`port` and returns its handle.
/// Errors: storage_unavailable naming the address if nothing answers there,
/// or CAF's error if the peer is not a statekeeper service.
caf::expected<router_actor> connect_service(caf::actor_system& sys,
                                            const std::string& host,
                                            uint16_t port);

} // namespace statekeeper
