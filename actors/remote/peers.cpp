#include "actors/remote/peers.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "actors/membership.hpp"
#include "actors/relay.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* peers_state::name = "statekeeper.peers";

namespace {

/// How many member timeouts a member this node could not connect to is
/// passed over by placement.
constexpr int unreachable_for = 5;

// Relays every operation to a session with another node and answers it
// itself. Remote sessions on this node accept responses only from actors
// that never crossed the wire (a peer can name any actor that did as the
// sender of a forged response, see wire_guard.hpp); the session's link
// did, so its answers come through this relay, which never does.
//
// Watches are not relayed: the watcher would cross the wire to the other
// node, and any peer of this node could then send it events of its own
// making. A watch is refused, naming the node to open it on.
struct answering_relay {
  router_actor::pointer self;
  router_actor session;
  member_info peer;

  template <class Reply, class Atom, class... Ts>
  caf::typed_response_promise<Reply> call(Atom atom, Ts... xs) {
    auto rp = self->make_response_promise<Reply>();
    if constexpr (std::is_same_v<Atom, watch_atom>) {
      rp.deliver(make_error(error_code::not_owner,
                            "a watch is served only by the node that owns "
                            "the namespace: node \"" +
                                peer.name + "\" at " + peer.address + ":" +
                                std::to_string(peer.port)));
      return rp;
    }
    // The session's link answers `timeout` itself after its request
    // timeout, and fails what waits when the connection is lost.
    self->request(session, caf::infinite, atom, std::move(xs)...)
        .then([rp](Reply& reply) mutable { rp.deliver(std::move(reply)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
    return rp;
  }
};

router_actor::behavior_type answering_relay_impl(router_actor::pointer self,
                                                 router_actor session,
                                                 member_info peer) {
  return relay_behavior<router_actor>(
      answering_relay{self, std::move(session), std::move(peer)});
}

} // namespace

peers_actor::behavior_type
peers_impl(peers_actor::stateful_pointer<peers_state> self,
           connect_options opts, std::shared_ptr<node_membership> node) {
  self->state.opts = std::move(opts);
  self->state.node = std::move(node);
  return {
      [self](peer_atom,
             const member_info& member) -> caf::result<router_actor> {
        auto& sessions = self->state.sessions;
        if (auto i = sessions.find(member.id); i != sessions.end())
          return i->second;
        auto& node = *self->state.node;
        auto& failed = self->state.failed;
        auto now = node_membership::clock::now();
        if (auto i = failed.find(member.id); i != failed.end()) {
          if (now < i->second)
            return make_error(error_code::storage_unavailable,
                              "cannot connect to node \"" + member.name +
                                  "\" at " + member.address + ":" +
                                  std::to_string(member.port) +
                                  " (failed moments ago)");
          failed.erase(i);
        }
        auto session = connect_service(self->system(), member.address,
                                       member.port, self->state.opts);
        if (!session) {
          auto timeout = node.options().member_timeout;
          failed.emplace(member.id, now + timeout);
          // Placement passes it over for a while: its namespaces are taken
          // here rather than refused (a lease it holds stays its own).
          node.unreachable(member.id, now + unreachable_for * timeout);
          return std::move(session.error());
        }
        node.reachable(member.id);
        // Stops when the last handle to it is gone, and with it the session.
        auto relay =
            self->spawn(answering_relay_impl, std::move(*session), member);
        sessions.emplace(member.id, relay);
        return relay;
      },
      [self](forget_peer_atom, uint64_t id) { self->state.sessions.erase(id); },
  };
}

} // namespace statekeeper
