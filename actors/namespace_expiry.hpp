// The expiry timer of a namespace owner. The owner sends itself a `sweep` for
// its earliest expiry, no sooner than sweep-interval after its last sweep,
// so that an owner without TTLs gets no timer message at all. Each message
// carries a generation: only the latest one sweeps, so no clock is compared
// with CAF's timer. A sweep evicts
// up to sweep-batch expired entries as one change; if more remain, the next
// sweep goes behind the requests already waiting. Called only by the owner
// (actors/namespace_actor.hpp), in its handlers.
#pragma once

#include <cstdint>

#include "actors/namespace_actor.hpp"

namespace statekeeper {

/// Makes sure a sweep comes for the earliest expiry, unless one already
/// comes in time, the namespace is not loaded, or sweeps are on hold.
void schedule_sweep(namespace_pointer self);

/// The `sweep` message of `generation`.
void on_sweep(namespace_pointer self, uint64_t generation);

} // namespace statekeeper
