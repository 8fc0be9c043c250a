// The service's face to the network: the gateway answers login(token) with a
// session, an actor confined to the token's tenant that relays operations to
// the router within per-session limits. Spawned by publish_service; the
// gateway stops with the router, sessions with the router or their client.
// Both are guarded against what a peer could forge (see wire_guard.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include "actors/remote/remote.hpp"
#include "messages/interfaces.hpp"
#include "messages/session.hpp"

namespace statekeeper {

/// Spawns a gateway in front of `router`, configured by the tokens and
/// limits of `opts` (which must be valid: see validate). Never fails.
gateway_actor spawn_gateway(caf::actor_system& sys, const router_actor& router,
                            const remote_options& opts);

} // namespace statekeeper
