// A remote session's interface. CAF 0.17 delivers a message from any peer to
// any actor whose handle ever crossed the wire, under a sender the peer may
// forge; so a session cannot tell who sent a request. It serves only
// requests that carry its `session_key`: 128 random bits the gateway gives
// to the node that logged in, and to no one else. Plain values; any thread.
#pragma once

#include <cstdint>

#include <caf/detail/type_list.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/interfaces.hpp"
#include "messages/watch.hpp"

namespace statekeeper {

/// The secret of one session.
struct session_key {
  uint64_t hi = 0;
  uint64_t lo = 0;
};

/// Returns a key of 128 bits from the operating system's random source, or
/// none if it cannot be read.
caf::optional<session_key> make_session_key();

/// Compares in a time that does not depend on the keys.
[[nodiscard]] bool same_key(const session_key& x, const session_key& y);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_key& x) {
  return f(caf::meta::type_name("session_key"), x.hi, x.lo);
}

namespace detail {

template <class Prefix, class Signature> struct prepend_input;

template <class Prefix, class... Inputs, class Output>
struct prepend_input<
    Prefix, caf::typed_mpi<caf::detail::type_list<Inputs...>, Output>> {
  using type =
      caf::typed_mpi<caf::detail::type_list<Prefix, Inputs...>, Output>;
};

template <class Prefix, class Handle> struct prefixed_interface;

template <class Prefix, class... Signatures>
struct prefixed_interface<Prefix, caf::typed_actor<Signatures...>> {
  using type =
      caf::typed_actor<typename prepend_input<Prefix, Signatures>::type...>;
};

} // namespace detail

/// A session on the service's node: every operation of router_actor, each
/// preceded by the session's key; a request with another key is
/// `unauthorized`. Plus the relay of watch events to a remote watcher: the
/// namespace actor sends them to a local tap of the session, which hands
/// them to the session, so that no actor but the session and the gateway
/// ever crosses the wire.
using session_actor =
    typename detail::prefixed_interface<session_key, router_actor>::type::
        extend<caf::reacts_to<event_atom, session_key, watcher_actor, uint64_t,
                              watch_batch>>;

/// What `publish_service` (actors/remote/remote.hpp) puts on the network. A
/// remote node first logs in; every operation sent to the gateway itself is
/// `unauthorized`.
using gateway_actor = router_actor::extend<
    /// login(token) -> a session confined to the token's tenant, and its key,
    /// which every request to the session must carry. The session ends when
    /// the actor that logged in goes away. `unauthorized` if the service has
    /// tokens and `token` is not one of them; ignored when the service is
    /// open.
    caf::replies_to<login_atom, std::string>::with<session_actor, session_key>>;

} // namespace statekeeper
