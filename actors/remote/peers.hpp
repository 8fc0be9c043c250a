// Several nodes: the sessions this node holds with the other nodes, over
// CAF networking, to send them the requests about namespaces they own
// (actors/owner_cache.hpp). A few sessions per node, opened on first use
// with the cluster's peer token, which makes each a peer session on the
// other side (it does not forward again). A node it cannot connect to is
// marked unreachable for placement until a later attempt succeeds.
// Spawned by the router, detached: opening a session blocks for up to its
// connect timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/remote/remote.hpp"
#include "messages/cluster.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

using probe_atom = caf::atom_constant<caf::atom("probe")>;

using peers_actor = caf::typed_actor<
    /// peer(member) -> the session with that node, opened if there is none.
    caf::replies_to<peer_atom, member_info>::with<router_actor>,
    /// forget_peer(member id): its connection failed; open a new one next
    /// time.
    caf::reacts_to<forget_peer_atom, uint64_t>,
    /// Its own timer: tries the members marked unreachable again.
    caf::reacts_to<probe_atom>>;

class node_membership;

struct peers_state {
  static const char* name;
  connect_options opts;
  /// Told which members this node cannot connect to: placement passes
  /// them over until it can (see membership.hpp).
  std::shared_ptr<node_membership> node;
  /// By member id: relays to the sessions with it (see peers.cpp), and
  /// which one is handed out next.
  std::unordered_map<uint64_t, std::vector<router_actor>> sessions;
  size_t next = 0;
  /// A member whose connection failed is not tried again until `until`
  /// (a failed connect can take the connect timeout, and this actor opens
  /// one session at a time): a member timeout after the first failure in a
  /// row, doubling with each, up to `unreachable_for` member timeouts.
  struct failure {
    std::chrono::steady_clock::time_point until;
    int in_a_row = 0;
  };
  std::unordered_map<uint64_t, failure> failed;
};

/// Behavior of the peers actor: opens sessions with `opts` (TLS and the
/// peer token) for the node `node`.
peers_actor::behavior_type
peers_impl(peers_actor::stateful_pointer<peers_state> self,
           connect_options opts, std::shared_ptr<node_membership> node);

} // namespace statekeeper
