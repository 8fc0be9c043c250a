// Announces every statekeeper message type to CAF. Call it on every
// actor_system_config that talks to statekeeper, local or remote, before
// constructing the actor system; both ends of a connection must call it.
#pragma once

namespace caf {
class actor_system_config;
} // namespace caf

namespace statekeeper {

/// Adds the message types and the error category of statekeeper to `cfg`.
/// Returns `cfg` for chaining.
caf::actor_system_config& register_types(caf::actor_system_config& cfg);

} // namespace statekeeper
