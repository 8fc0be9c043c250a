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
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

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

  // Placement (docs/architecture.md, "Several nodes"): each namespace has
  // a preferred node, the live member that rendezvous hashing ranks first
  // for it. Every node computes it from the member table, so they agree
  // without asking each other once their views of the table agree.

  /// The live members, as the membership actor last read them; this node
  /// counts among them while it is live.
  void saw_members(std::vector<member_info> live);

  /// A member this node could not connect to, until a connection to it
  /// succeeds (the peers actor tries again now and then): placement does
  /// not send it this node's callers.
  void unreachable(uint64_t id);
  void reachable(uint64_t id);

  /// The live members marked unreachable.
  std::vector<member_info> unreachable_members() const;

  /// Whether member `id` is in the view.
  bool is_live_member(uint64_t id) const;

  /// The member namespace `name` (rendered) is placed on, if that is not
  /// this node: the live member rendezvous hashing ranks first, unless this
  /// node cannot reach it (then it takes the namespace itself).
  caf::optional<member_info> placed_elsewhere(const std::string& name) const;

  /// Changes whenever placement may have changed (the view, or a member's
  /// reachability).
  uint64_t view_generation() const;

  /// How many live members the view holds (this node included).
  size_t members_seen() const;

 private:
  member_info me_;
  cluster_options opts_;
  /// Until when the node is live, in clock ticks since the clock's epoch.
  std::atomic<int64_t> live_until_{0};
  std::atomic<uint64_t> term_{1};
  mutable std::mutex mtx_;
  std::vector<member_info> view_;
  std::unordered_set<uint64_t> unreachable_;
  uint64_t generation_ = 0;
};

/// Rendezvous hashing: where `name` (a rendered namespace) ranks member
/// `id`; the highest ranking member is preferred. The same on every node
/// and every platform.
uint64_t placement_rank(uint64_t id, const std::string& name);

/// The member of `members` that namespace `name` is placed on; null if
/// `members` is empty.
const member_info* preferred_member(const std::string& name,
                                    const std::vector<member_info>& members);

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
