// Several nodes: this node's membership of the cluster (docs/architecture.md,
// "Several nodes"). The membership actor registers the node in the database,
// renews its heartbeat every heartbeat interval on a connection of its own,
// and removes the node when the service stops. `node_membership` is what it
// learns, shared read-only with the owners and persistence actors: a node
// whose heartbeat lapsed may have lost its namespaces to other nodes, so its
// owners stop serving them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/service_options.hpp"
#include "backends/durable_store.hpp"
#include "messages/cluster.hpp"

namespace statekeeper {

/// What this node knows of its own membership. Thread-safe: the membership
/// actor writes it, owners and persistence actors read it.
class node_membership {
 public:
  using clock = std::chrono::steady_clock;

  /// A member with a new random id.
  node_membership(cluster_options opts);

  const member_info& me() const { return me_; }
  const cluster_options& options() const { return opts_; }

  /// Numbers the spans of time in which the membership did not lapse: an
  /// owner records the term in which it loaded its namespace.
  uint64_t term() const { return term_.load(std::memory_order_acquire); }

  /// Whether the node may take leases now: its last heartbeat is recent
  /// enough that no other node takes its namespaces.
  bool live() const;

  /// Whether an owner that loaded its namespace in `term` may still serve
  /// it: live, and not lapsed since.
  bool serves(uint64_t term) const;

  /// A heartbeat that started at `started` was recorded. `gap` is how long
  /// before it the previous one was, by the database's clock: if that is a
  /// member timeout or more, others may have taken the node's namespaces.
  void renewed(clock::time_point started, caf::timespan gap);

  /// The node is leaving: from now on it serves nothing.
  void leaving();

 private:
  member_info me_;
  cluster_options opts_;
  /// Until when the node is live, in clock ticks since the clock's epoch.
  std::atomic<int64_t> live_until_{0};
  std::atomic<uint64_t> term_{1};
};

using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

using membership_actor = caf::typed_actor<caf::reacts_to<heartbeat_atom>>;

struct membership_state {
  static const char* name;
  std::shared_ptr<node_membership> node;
  std::unique_ptr<durable_store> db;
};

/// Behavior of the membership actor: heartbeats `node` through a store of
/// `open_store` (reconnecting as needed, joining again if the node's row is
/// gone) until it exits, then removes the node. Spawn it detached (the
/// store blocks) and linked to the router.
membership_actor::behavior_type
membership_actor_impl(membership_actor::stateful_pointer<membership_state> self,
                      std::shared_ptr<node_membership> node,
                      durable_store_factory open_store);

} // namespace statekeeper
