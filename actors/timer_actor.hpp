// The timer: ticks the router every `interval` (passivation, and purging
// expired rows of inactive namespaces; owners time their own sweeps). Spawned
// by the router; monitors it and stops with it. Holds no state but the router's
// handle.
#pragma once

#include <caf/timestamp.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/interfaces.hpp"
#include "messages/internal.hpp"

namespace statekeeper {

timer_actor::behavior_type timer_actor_impl(timer_actor::pointer self,
                                            service_router_actor router,
                                            caf::timespan interval);

} // namespace statekeeper
