// The entry point of the service: resolves the owner of a namespace
// (actors/placement.hpp) and forwards each operation to it unchanged, so
// operations on different namespaces run in parallel; answers the
// service-wide operations by asking owners and persistence actors. Spawns
// the timer and the persistence actors.
// Stop it with an exit message (see stop_service); its owners and timer
// monitor it and stop with it, whatever the exit reason.
#pragma once

#include <memory>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/membership.hpp"
#include "actors/placement.hpp"
#include "actors/remote/peers.hpp"
#include "actors/service_options.hpp"
#include "backends/storage.hpp"
#include "messages/interfaces.hpp"
#include "messages/internal.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

struct router_state {
  static const char* name;
  /// Stops the active owners: the router goes away, with whatever reason.
  ~router_state();
  service_options opts;
  /// The in-memory engine; null with PostgreSQL.
  std::shared_ptr<storage_engine> engine;
  /// With PostgreSQL: the persistence actors; a namespace always uses the
  /// same one (by hash), which keeps its writes in order.
  std::vector<persistence_actor> persistence;
  /// Async durability: bounds what is acknowledged and not committed.
  async_backlog_actor backlog;
  /// The active owners (actors/placement.hpp).
  placement active;
  timer_actor timer;
  /// Several nodes: this node's membership, the actor that keeps it, and
  /// the sessions with the other nodes.
  std::shared_ptr<node_membership> node;
  membership_actor membership;
  peers_actor peers;
};

using router_pointer = service_router_actor::stateful_pointer<router_state>;

/// Behavior of the router. `engine` must not be shared with another router.
/// With `node` (opts.cluster), the node has joined the cluster already; the
/// router spawns the actor that heartbeats, and leaves when it stops.
service_router_actor::behavior_type
router_actor_impl(router_pointer self, service_options opts,
                  std::shared_ptr<storage_engine> engine,
                  std::shared_ptr<node_membership> node);

} // namespace statekeeper
