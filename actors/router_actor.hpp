// The entry point of the service: finds the owner of a namespace, spawning it
// on first use, and forwards each operation to it unchanged, so operations on
// different namespaces run in parallel. Monitors every owner and respawns one
// that dies (its data lives on in the storage engine). Spawns the timer.
// Stop it with an exit message (see stop_service); its owners and timer
// monitor it and stop with it, whatever the exit reason.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/service_options.hpp"
#include "backends/storage.hpp"
#include "messages/interfaces.hpp"
#include "messages/internal.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

struct router_state {
  static const char* name;
  struct owner {
    namespace_path ns;
    namespace_actor handle;
    /// When it was spawned: an owner that dies young is not respawned at
    /// once (it would likely die again), only on its next request.
    caf::timestamp spawned;
    /// When a request was last forwarded to it (passivation).
    caf::timestamp last_used;
    /// A drain is under way; any forwarded request cancels it.
    bool draining = false;
  };
  service_options opts;
  /// The in-memory engine; null with PostgreSQL.
  std::shared_ptr<storage_engine> engine;
  /// With PostgreSQL: the persistence actors; a namespace always uses the
  /// same one (by hash), which keeps its writes in order.
  std::vector<persistence_actor> persistence;
  /// Async durability: bounds what is acknowledged and not committed.
  async_backlog_actor backlog;
  /// Active namespaces by rendered name.
  std::unordered_map<std::string, owner> owners;
  /// Rendered name of each active owner, to handle its down message.
  std::unordered_map<caf::actor_addr, std::string> names;
  timer_actor timer;
};

using router_pointer = service_router_actor::stateful_pointer<router_state>;

/// Behavior of the router. `engine` must not be shared with another router.
service_router_actor::behavior_type
router_actor_impl(router_pointer self, service_options opts,
                  std::shared_ptr<storage_engine> engine);

} // namespace statekeeper
