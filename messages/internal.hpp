// Interfaces between the service's own actors; users never send these.
// Timers are kept out of the public interfaces so that no client can drive
// them.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

using drain_atom = caf::atom_constant<caf::atom("drain")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using notify_atom = caf::atom_constant<caf::atom("notify")>;
using counted_atom = caf::atom_constant<caf::atom("counted")>;
using handle_atom = caf::atom_constant<caf::atom("handle")>;

/// A namespace owner: the namespace operations, plus
/// - `sweep(generation)` (sent to itself for its earliest expiry): remove
///   expired entries (at most the sweep batch per message); a message of an
///   older generation was superseded and does nothing;
/// - `progress` (sent to itself each sweep-interval while it has watchers):
///   tell idle watchers the current revision;
/// - `notify` (sent to itself after a change while it has watchers): send
///   the watchers every change since the last `notify`, one batch each;
/// - `drain(used_after)` (passivation, step 1): make every acknowledged
///   write durable, then reply whether the owner may retire: not if it
///   handled a request after `used_after` (callers that reach it directly
///   use it without the router knowing), nor with watchers or commits under
///   way (in memory the engine keeps the store for the next owner);
/// - `retire` (step 2, only if the router forwarded nothing since `drain`):
///   stop;
/// - `resume`: the router called the retirement off; sweep again.
using namespace_actor = namespace_operations::extend<
    caf::reacts_to<sweep_atom, uint64_t>, caf::reacts_to<progress_atom>,
    caf::reacts_to<notify_atom>,
    caf::replies_to<drain_atom, caf::timestamp>::with<bool>,
    caf::reacts_to<retire_atom>, caf::reacts_to<resume_atom>>;

/// The router as its own actors see it: the public interface, plus the
/// timer's `tick` (passivation, and purging expired rows of inactive
/// namespaces).
/// (counted, expired entries, change of watchers): what an owner tells the
/// router for the service's counters (stats).
using service_router_actor =
    router_actor::extend<caf::reacts_to<tick_atom>,
                         caf::reacts_to<counted_atom, uint64_t,
                                        int64_t>>::extend_with<owner_directory>;

/// Ticks the router every sweep-interval.
using timer_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

/// A remote client's end of one session (actors/remote/remote.cpp): logs in
/// once, then relays every operation to the session on the service's node.
using session_link_actor = router_actor::extend<
    caf::replies_to<login_atom, std::string>::with<ok_atom>,
    /// From the handle, once: the link stops when the handle does.
    caf::reacts_to<handle_atom>>;

} // namespace statekeeper
