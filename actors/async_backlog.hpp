// The async backlog: how many change records async durability acknowledged
// and has not committed yet, service-wide. It is what a crash of the
// service can lose, so it is bounded (postgres_options::async_max_pending):
// beyond it a write waits for room, which the persistence actors make as
// they commit. One scheduled actor owns the count; it never blocks, so
// admissions go on while a persistence actor sits in a commit.
#pragma once

#include <cstdint>
#include <deque>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "messages/persistence.hpp"

namespace statekeeper {

struct async_backlog_state {
  static inline const char* name = "statekeeper.async_backlog";
  uint64_t limit = 0;
  /// Records admitted and not yet released.
  uint64_t pending = 0;
  /// Admissions waiting for room, oldest first.
  struct waiter {
    uint64_t records;
    caf::typed_response_promise<ok_atom> promise;
  };
  std::deque<waiter> waiting;
};

using async_backlog_pointer =
    async_backlog_actor::stateful_pointer<async_backlog_state>;

/// Admits up to `limit` records at a time; a batch larger than the limit is
/// admitted alone, when nothing else is pending. Waiters are served in
/// arrival order. Stops with the router (its parent links it).
async_backlog_actor::behavior_type
async_backlog_impl(async_backlog_pointer self, uint64_t limit);

} // namespace statekeeper
