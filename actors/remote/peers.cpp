#include "actors/remote/peers.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

#include "actors/log.hpp"
#include "actors/membership.hpp"
#include "actors/relay.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* peers_state::name = "statekeeper.peers";

namespace {

/// In member timeouts: the longest a member whose connection failed waits
/// for the next attempt. The members marked unreachable are tried again
/// once their wait has passed, one per member timeout.
constexpr int unreachable_for = 5;

/// Sessions opened with each node, each with its relay here and its
/// session actor there: callers are handed them in turn, so that the
/// traffic to a node is not serialised through one actor on either side
/// (nor capped by one session's max-requests-in-flight).
constexpr size_t sessions_per_peer = 4;

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

namespace {

using peers_pointer = peers_actor::stateful_pointer<peers_state>;

/// Opens a session with `member` and adds it to its pool; or records the
/// failure, marking the member unreachable.
caf::expected<router_actor> open_session(peers_pointer self,
                                         const member_info& member) {
  auto& st = self->state;
  auto session =
      connect_service(self->system(), member.address, member.port, st.opts);
  auto timeout = st.node->options().member_timeout;
  if (!session) {
    auto& failure = st.failed[member.id];
    auto backoff = timeout * (1 << std::min(failure.in_a_row, 3));
    failure.until = node_membership::clock::now() +
                    std::min(backoff, unreachable_for * timeout);
    ++failure.in_a_row;
    // With no session left, placement passes it over until it can be
    // reached: its namespaces are taken here rather than refused (a lease
    // it holds stays its own).
    if (auto i = st.sessions.find(member.id);
        i == st.sessions.end() || i->second.empty())
      st.node->unreachable(member.id);
    return std::move(session.error());
  }
  st.failed.erase(member.id);
  st.node->reachable(member.id);
  // Stops when the last handle to it is gone, and with it the session.
  auto& pool = st.sessions[member.id];
  pool.push_back(
      self->spawn(answering_relay_impl, std::move(*session), member));
  return pool.back();
}

/// Whether `member` failed to connect moments ago.
bool failed_lately(peers_pointer self, const member_info& member) {
  auto i = self->state.failed.find(member.id);
  return i != self->state.failed.end() &&
         node_membership::clock::now() < i->second.until;
}

} // namespace

peers_actor::behavior_type peers_impl(peers_pointer self, connect_options opts,
                                      std::shared_ptr<node_membership> node) {
  self->state.opts = std::move(opts);
  self->state.node = std::move(node);
  auto probe_every = self->state.node->options().member_timeout;
  self->delayed_send(self, probe_every, probe_atom::value);
  return {
      [self](peer_atom,
             const member_info& member) -> caf::result<router_actor> {
        auto& st = self->state;
        auto& pool = st.sessions[member.id];
        // A full pool, or one a new session failed to join moments ago,
        // hands out its sessions in turn.
        if (pool.size() < sessions_per_peer && !failed_lately(self, member)) {
          auto opened = open_session(self, member);
          if (opened || pool.empty()) {
            if (pool.empty())
              st.sessions.erase(member.id);
            return opened;
          }
        }
        if (pool.empty()) {
          st.sessions.erase(member.id);
          return make_error(error_code::storage_unavailable,
                            "cannot connect to node \"" + member.name +
                                "\" at " + member.address + ":" +
                                std::to_string(member.port) +
                                " (failed moments ago)");
        }
        return pool[st.next++ % pool.size()];
      },
      [self](forget_peer_atom, uint64_t id) { self->state.sessions.erase(id); },
      [self, probe_every](probe_atom) {
        auto& st = self->state;
        // Sessions with members that left or died go (once the view was
        // read: before, it is empty).
        auto seen = st.node->members_seen() > 0;
        auto gone = [&](uint64_t id) {
          return seen && !st.node->is_live_member(id);
        };
        for (auto i = st.sessions.begin(); i != st.sessions.end();)
          i = gone(i->first) ? st.sessions.erase(i) : std::next(i);
        for (auto i = st.failed.begin(); i != st.failed.end();)
          i = gone(i->first) ? st.failed.erase(i) : std::next(i);
        // One connection attempt per tick at most (each blocks this actor
        // for up to the connect timeout), once its back-off has passed.
        for (auto& member : st.node->unreachable_members()) {
          if (failed_lately(self, member))
            continue;
          if (auto opened = open_session(self, member); !opened)
            log(log_level::warning,
                "cluster: cannot connect to node \"" + member.name + "\" at " +
                    member.address + ":" + std::to_string(member.port) + ": " +
                    caf::to_string(opened.error()));
          break;
        }
        self->delayed_send(self, probe_every, probe_atom::value);
      },
  };
}

} // namespace statekeeper
