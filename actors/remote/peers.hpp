// Several nodes: the sessions this node holds with the other nodes, over
// CAF networking, to send them the requests about namespaces they own
// (actors/owner_cache.hpp). One session per node, opened on first use with
// the cluster's peer token, which makes it a peer session on the other side
// (it does not forward again). Spawned by the router, detached: opening a
// session blocks for up to its connect timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/remote/remote.hpp"
#include "messages/cluster.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

using peers_actor = caf::typed_actor<
    /// peer(member) -> the session with that node, opened if there is none.
    caf::replies_to<peer_atom, member_info>::with<router_actor>,
    /// forget_peer(member id): its connection failed; open a new one next
    /// time.
    caf::reacts_to<forget_peer_atom, uint64_t>>;

class node_membership;

struct peers_state {
  static const char* name;
  connect_options opts;
  /// Told which members this node cannot connect to: placement passes
  /// them over for a while (see membership.hpp).
  std::shared_ptr<node_membership> node;
  /// By member id: relays to the sessions (see peers.cpp).
  std::unordered_map<uint64_t, router_actor> sessions;
  /// By member id: until when a member whose connection failed is not
  /// tried again (a failed connect can take the connect timeout, and this
  /// actor opens one session at a time).
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> failed;
};

/// Behavior of the peers actor: opens sessions with `opts` (TLS and the
/// peer token) for the node `node`.
peers_actor::behavior_type
peers_impl(peers_actor::stateful_pointer<peers_state> self,
           connect_options opts, std::shared_ptr<node_membership> node);

} // namespace statekeeper
