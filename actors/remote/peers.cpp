#include "actors/remote/peers.hpp"

#include <utility>

#include "actors/relay.hpp"

namespace statekeeper {

const char* peers_state::name = "statekeeper.peers";

namespace {

// Relays every operation to a session with another node and answers it
// itself. Remote sessions on this node accept responses only from actors
// that never crossed the wire (a peer can name any actor that did as the
// sender of a forged response, see wire_guard.hpp); the session's link
// did, so its answers come through this relay, which never does.
struct answering_relay {
  router_actor::pointer self;
  router_actor session;

  template <class Reply, class... Ts>
  caf::typed_response_promise<Reply> call(Ts... xs) {
    auto rp = self->make_response_promise<Reply>();
    // The session's link answers `timeout` itself after its request
    // timeout, and fails what waits when the connection is lost.
    self->request(session, caf::infinite, std::move(xs)...)
        .then([rp](Reply& reply) mutable { rp.deliver(std::move(reply)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
    return rp;
  }
};

router_actor::behavior_type answering_relay_impl(router_actor::pointer self,
                                                 router_actor session) {
  return relay_behavior<router_actor>(
      answering_relay{self, std::move(session)});
}

} // namespace

peers_actor::behavior_type
peers_impl(peers_actor::stateful_pointer<peers_state> self,
           connect_options opts) {
  self->state.opts = std::move(opts);
  return {
      [self](peer_atom,
             const member_info& member) -> caf::result<router_actor> {
        auto& sessions = self->state.sessions;
        if (auto i = sessions.find(member.id); i != sessions.end())
          return i->second;
        auto session = connect_service(self->system(), member.address,
                                       member.port, self->state.opts);
        if (!session)
          return std::move(session.error());
        // Stops when the last handle to it is gone, and with it the session.
        auto relay = self->spawn(answering_relay_impl, std::move(*session));
        sessions.emplace(member.id, relay);
        return relay;
      },
      [self](forget_peer_atom, uint64_t id) { self->state.sessions.erase(id); },
  };
}

} // namespace statekeeper
