// The operation table, read from the interfaces: for actors that stand in
// front of a router or an owner and treat every operation alike (the router
// forwarding to owners, the gateway, its sessions, a remote client's link and
// handle). One handler is generated per signature of an interface in
// messages/interfaces.hpp, so an operation declared there is relayed by every
// one of them without further code. Each handler calls
// `relay.template call<Reply>(prefix..., atom, args...)` and returns what it
// returns (a promise, a delegation or a result of the reply). A relay gives
// one operation its own policy by overloading `call` for its atom.
// `Prefix` are arguments that come before each operation's atom (a session's
// key); usually none.
#pragma once

#include <utility>

#include <caf/detail/type_list.hpp>
#include <caf/replies_to.hpp>

#include "messages/interfaces.hpp"

namespace statekeeper {

namespace detail {

template <class Signature, class... Prefix> struct relayed;

template <class... Inputs, class Reply, class... Prefix>
struct relayed<
    caf::typed_mpi<caf::detail::type_list<Inputs...>, caf::output_tuple<Reply>>,
    Prefix...> {
  template <class Relay> static auto handler(Relay relay) {
    return [relay](Prefix&... prefix, Inputs&... xs) mutable {
      return relay.template call<Reply>(prefix..., std::move(xs)...);
    };
  }
};

} // namespace detail

/// Builds behaviors that relay every operation of `Operations` (a typed actor
/// handle) through a relay, each preceded by `Prefix`.
template <class Operations, class... Prefix> struct relay_of {
  /// The behavior of `Handle`: the relayed operations, then `extra` handlers
  /// for what `Handle` adds to `Operations`.
  template <class Handle, class Relay, class... Extra>
  static typename Handle::behavior_type behavior(Relay relay, Extra... extra) {
    return make<Handle>(typename Operations::signatures{}, std::move(relay),
                        std::move(extra)...);
  }

 private:
  template <class Handle, class... Signatures, class Relay, class... Extra>
  static typename Handle::behavior_type
  make(caf::detail::type_list<Signatures...>, Relay relay, Extra... extra) {
    return {detail::relayed<Signatures, Prefix...>::handler(relay)...,
            std::move(extra)...};
  }
};

/// Every operation of `router_actor`, relayed; see relay_of.
template <class Handle, class Relay, class... Extra>
typename Handle::behavior_type relay_behavior(Relay relay, Extra... extra) {
  return relay_of<router_actor>::behavior<Handle>(std::move(relay),
                                                  std::move(extra)...);
}

} // namespace statekeeper
