// A guard for the actors a remote peer can message: the gateway and its
// sessions. CAF 0.17's BASP delivers a peer's message to any actor whose
// handle once crossed the wire, with whatever message id and content the
// peer chose, and lets it name as sender any actor of any node, including
// this node's actors that crossed the wire. So a peer could stop a session
// or the gateway with an exit message (`kill` passes every handler), end a
// session with a down message about its client, or answer a request the
// session sent to the router with a response of its own making. The guard
// drops such messages before they reach the mailbox:
//
// - every exit message: these actors are linked to nothing;
// - a down message not sent by the actor it reports on (the runtime sends
//   it as that actor; a peer sends as one of its own);
// - a response not from the actor itself (its request timeouts) or a local
//   actor that never crossed the wire (no peer can name those as sender),
//   unless it is only an error (a refused request, whoever sent it) or an
//   empty acknowledgement from the node the actor trusts (its client's,
//   whose watchers acknowledge events; none before `trust`).
//
// The client's end of a session (its link, actors/remote/remote.cpp) is
// reachable too, once it sent a request over the wire: on a node of a
// cluster, by every client of that node, and it speaks for this node in a
// peer session on another. So a link is guarded as a client: it takes
// requests and exit messages only from local actors that never crossed
// the wire (its handle), and responses also from the node it trusts (the
// service's), whatever they carry. It takes down messages without a sender
// too: a local actor that stops because its last reference went away
// sends them so. A peer can send one as well, so a client acts on such a
// message only once it sees that the actor it names is gone.
//
// enqueue runs on the sender's thread: it reads only what `trust` published.
#pragma once

#include <atomic>

#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>

namespace statekeeper {

/// Which end of a session an actor is (see above).
enum class wire_role {
  /// The gateway and sessions: requests from anyone, empty responses from
  /// the trusted node.
  service,
  /// A link: requests from this node's unexposed actors only, any
  /// response from the trusted node.
  client,
};

/// Returns whether `what` may be enqueued at `self`; `trusted` is the node
/// responses may come from besides this one (null: none).
[[nodiscard]] bool wire_admits(const caf::mailbox_element& what,
                               const caf::abstract_actor& self,
                               const caf::node_id* trusted,
                               wire_role role = wire_role::service);

/// A stateful actor whose enqueue applies wire_admits. Spawn it from a
/// function taking `wire_guarded<State, Handle::base>*`.
template <class State, class Base, wire_role Role = wire_role::service>
class wire_guarded : public caf::stateful_actor<State, Base> {
 public:
  using super = caf::stateful_actor<State, Base>;

  using super::super;

  /// Lets empty responses come from `node` too. Call once, before
  /// requesting anything of an actor there.
  void trust(caf::node_id node) {
    trusted_ = std::move(node);
    trusting_.store(true, std::memory_order_release);
  }

  void enqueue(caf::mailbox_element_ptr what,
               caf::execution_unit* host) override {
    auto trusted =
        trusting_.load(std::memory_order_acquire) ? &trusted_ : nullptr;
    if (wire_admits(*what, *this, trusted, Role))
      super::enqueue(std::move(what), host);
  }

  using super::enqueue;

 private:
  std::atomic<bool> trusting_{false};
  caf::node_id trusted_;
};

} // namespace statekeeper
