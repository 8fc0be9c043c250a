#include "actors/remote/gateway.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/owner_cache.hpp"
#include "actors/relay.hpp"
#include "actors/remote/wire_guard.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

// The tenant a session may touch; none: every namespace and the
// service-wide operations.
using tenant_scope = std::optional<std::string>;

struct session_limits {
  uint32_t max_in_flight;
  uint64_t max_request_bytes;
  caf::timespan request_timeout;
};

struct session_state {
  static inline const char* name = "statekeeper.session";
  router_actor router;
  /// The owners this session's requests go to.
  std::optional<owner_cache> owners;
  tenant_scope tenant;
  session_limits limits;
  session_key key;
  caf::actor_addr owner;
  uint32_t in_flight = 0;
  /// The taps of this session's watches, by (rendered namespace, watch id):
  /// unwatch stops the tap.
  std::map<std::pair<std::string, uint64_t>, watcher_actor> taps;
};

// Reachable from the network: guarded (see wire_guard.hpp).
using session_pointer = wire_guarded<session_state, session_actor::base>*;

// -- what a request may touch -------------------------------------------------

caf::error check_tenant(const session_state& st, const namespace_path& ns) {
  if (!st.tenant || ns.tenant == *st.tenant)
    return {};
  return make_error(error_code::unauthorized, "namespace \"" + render(ns) +
                                                  "\" is outside tenant \"" +
                                                  *st.tenant + "\"");
}

template <class Atom, class... Ts>
caf::error admit(const session_state& st, Atom, namespace_path& ns, Ts&...) {
  return check_tenant(st, ns);
}

// An empty prefix lists what the session may see: its tenant.
caf::error admit(const session_state& st, list_ns_atom,
                 namespace_path& prefix) {
  if (st.tenant && prefix.tenant.empty() && prefix.scopes.empty()) {
    prefix.tenant = *st.tenant;
    return {};
  }
  return check_tenant(st, prefix);
}

caf::error admit(const session_state&, sync_atom) {
  return {};
}

caf::error admit(const session_state& st, stats_atom) {
  if (!st.tenant)
    return {};
  return make_error(error_code::unauthorized,
                    "service statistics need an operator token (tenant \"*\")");
}

// -- how large a request is ---------------------------------------------------

template <class T> size_t bytes_of(const T&) {
  return 0; // atoms, numbers, TTLs
}

size_t bytes_of(const std::string& x) {
  return x.size();
}

size_t bytes_of(const namespace_path& ns) {
  size_t n = ns.tenant.size();
  for (auto& scope : ns.scopes)
    n += scope.size();
  return n;
}

size_t bytes_of(const std::vector<std::string>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.size();
  return n;
}

// Batches and transactions: items with a key and a value.
template <class Item> size_t bytes_of(const std::vector<Item>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.key.size() + x.value.size();
  return n;
}

// -- sessions
// -------------------------------------------------------------------

caf::error wrong_key() {
  return make_error(error_code::unauthorized,
                    "this session's key was not given: only the node that "
                    "opened a session may use it");
}

// A watch of a remote watcher gets a local tap: the namespace actor sends
// its events to the tap, which hands them to the session, which sends them
// over the wire. So the namespace actor, which would otherwise be reachable
// from the network once it had sent an event there, never crosses it.
watcher_actor::behavior_type tap_impl(watcher_actor::pointer self,
                                      session_actor session, session_key key,
                                      watcher_actor remote) {
  // The remote watcher going away (or its node) ends the watch, and so
  // does the end of the session. Not linked: a tap that ends stops nothing.
  self->monitor(remote);
  self->monitor(session);
  self->attach_functor([self, remote, session] {
    self->demonitor(remote.address());
    self->demonitor(session.address());
  });
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return {
      [self, session, key, remote](event_atom atom, uint64_t id,
                                   std::vector<watch_event>& events) {
        bool last =
            !events.empty() && events.back().kind == watch_event_kind::dropped;
        if (last)
          self->quit();
        // Requests (batches of changes) are acknowledged by the remote
        // watcher through the session; progress and dropped are sent
        // without asking, and nothing answers them.
        if (!self->current_message_id().is_request()) {
          caf::anon_send(session, atom, key, remote, id, std::move(events));
          return caf::delegated<void>{};
        }
        return self->delegate(session, atom, key, remote, id,
                              std::move(events));
      },
  };
}

void forget_tap(session_state& st, const caf::actor_addr& tap) {
  for (auto i = st.taps.begin(); i != st.taps.end(); ++i)
    if (i->second.address() == tap) {
      st.taps.erase(i);
      return;
    }
}

struct session_relay {
  session_pointer self;

  // A watch: the watcher the namespace actor sees is a tap of this session.
  void intercept(namespace_path&, std::vector<std::string>&,
                 caf::optional<watch_cursor>&, watcher_actor& who) {
    auto& st = self->state;
    who = self->spawn(tap_impl, caf::actor_cast<session_actor>(self), st.key,
                      std::move(who));
    self->monitor(who);
  }

  template <class... Ts> void intercept(Ts&...) {
    // nop: the request goes to the router as it is
  }

  // Bookkeeping once the router answered a request.
  void answered(watch_atom, const namespace_path& ns,
                const std::vector<std::string>&,
                const caf::optional<watch_cursor>&, const watcher_actor& tap,
                const caf::expected<uint64_t>& id) {
    if (id)
      self->state.taps.emplace(std::make_pair(render(ns), *id), tap);
    else
      caf::anon_send_exit(tap, caf::exit_reason::user_shutdown);
  }

  void answered(unwatch_atom, const namespace_path& ns, uint64_t id,
                const caf::expected<bool>& existed) {
    auto& taps = self->state.taps;
    auto i = taps.find(std::make_pair(render(ns), id));
    if (existed && *existed && i != taps.end()) {
      caf::anon_send_exit(i->second, caf::exit_reason::user_shutdown);
      taps.erase(i);
    }
  }

  template <class... Ts> void answered(const Ts&...) {
    // nop
  }

  template <class Reply, class Atom, class... Ts>
  caf::typed_response_promise<Reply> call(session_key key, Atom atom,
                                          Ts... xs) {
    auto rp = self->make_response_promise<Reply>();
    auto& st = self->state;
    if (!same_key(key, st.key)) {
      rp.deliver(wrong_key());
      return rp;
    }
    if (auto err = admit(st, atom, xs...)) {
      rp.deliver(std::move(err));
      return rp;
    }
    auto bytes = (size_t{0} + ... + bytes_of(xs));
    if (bytes > st.limits.max_request_bytes) {
      rp.deliver(make_error(error_code::limit_exceeded,
                            "request of " + std::to_string(bytes) +
                                " bytes exceeds max-request-bytes (" +
                                std::to_string(st.limits.max_request_bytes) +
                                ")"));
      return rp;
    }
    if (st.in_flight >= st.limits.max_in_flight) {
      rp.deliver(make_error(error_code::limit_exceeded,
                            std::to_string(st.in_flight) +
                                " requests of this session are in flight"
                                " (max-requests-in-flight)"));
      return rp;
    }
    intercept(xs...);
    ++st.in_flight;
    auto me = *this;
    auto args = std::make_tuple(atom, xs...);
    dispatch<Reply>(
        [me, rp, args](Reply& reply) mutable {
          --me.self->state.in_flight;
          std::apply(
              [&](auto&... ys) {
                me.answered(ys..., caf::expected<Reply>{reply});
              },
              args);
          rp.deliver(std::move(reply));
        },
        [me, rp, args](caf::error& err) mutable {
          --me.self->state.in_flight;
          std::apply(
              [&](auto&... ys) {
                me.answered(ys..., caf::expected<Reply>{err});
              },
              args);
          rp.deliver(in_our_terms(std::move(err), "the service"));
        },
        atom, std::move(xs)...);
    return rp;
  }

  // A namespace operation goes straight to the namespace's owner; the rest
  // to the router.
  template <class Reply, class OnReply, class OnError, class Atom, class... Ts>
  void dispatch(OnReply on_reply, OnError on_error, Atom atom, Ts... xs) {
    auto& st = self->state;
    if constexpr (goes_to_owner<Atom>)
      request_owner<Reply>(self, *st.owners, st.limits.request_timeout,
                           std::move(on_reply), std::move(on_error), atom,
                           std::move(xs)...);
    else
      self->request(st.router, st.limits.request_timeout, atom,
                    std::move(xs)...)
          .then(std::move(on_reply), std::move(on_error));
  }
};

session_actor::behavior_type
session_impl(session_pointer self, router_actor router, tenant_scope tenant,
             session_limits limits, session_key key,
             caf::strong_actor_ptr owner) {
  auto& st = self->state;
  st.router = std::move(router);
  st.owners.emplace(st.router);
  st.tenant = std::move(tenant);
  st.limits = limits;
  st.key = key;
  st.owner = caf::actor_cast<caf::actor_addr>(owner);
  // The owner is the client's end of the session; it goes down when the
  // client drops its handle or the connection is lost. The session ends
  // with it or with the router (the service stopping). The session's taps
  // are monitored too: one that ended is forgotten. Responses may come
  // from the owner's node: its watchers acknowledge events.
  self->trust(owner->node());
  self->monitor(owner);
  self->monitor(st.router);
  // The functor runs after the state is gone: it keeps what it needs.
  self->attach_functor([self, owner, router = st.router.address()] {
    self->demonitor(caf::actor_cast<caf::actor_addr>(owner));
    self->demonitor(router);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.owner || msg.source == st.router.address())
      self->quit();
    else
      forget_tap(st, msg.source);
  });
  return relay_of<router_actor, session_key>::behavior<session_actor>(
      session_relay{self},
      [self](event_atom atom, session_key key, watcher_actor& remote,
             uint64_t id,
             std::vector<watch_event>& events) -> caf::result<void> {
        auto rp = self->make_response_promise();
        if (!same_key(key, self->state.key)) {
          rp.deliver(wrong_key());
          return rp;
        }
        // The session, not the namespace actor, is the sender on the wire.
        self->request(remote, self->state.limits.request_timeout, atom, id,
                      std::move(events))
            .then(
                [rp]() mutable { rp.deliver(caf::unit); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      });
}

// -- the gateway
// ----------------------------------------------------------------

struct gateway_state {
  static inline const char* name = "statekeeper.gateway";
  router_actor router;
  std::vector<access_token> tokens;
  session_limits limits;
};

// Reachable from the network: guarded (see wire_guard.hpp).
using gateway_pointer = wire_guarded<gateway_state, gateway_actor::base>*;

// Operations sent to the gateway itself.
struct refusing_relay {
  gateway_pointer self;

  template <class Reply, class... Ts>
  caf::typed_response_promise<Reply> call(Ts&&...) {
    auto rp = self->make_response_promise<Reply>();
    rp.deliver(make_error(error_code::unauthorized,
                          "no session: log in first (connect_service does)"));
    return rp;
  }
};

// Compares in a time that does not depend on where the strings differ.
bool same_secret(const std::string& x, const std::string& y) {
  auto n = std::max(x.size(), y.size());
  unsigned diff = x.size() != y.size() ? 1 : 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = i < x.size() ? x[i] : 0;
    unsigned char b = i < y.size() ? y[i] : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

caf::expected<tenant_scope> tenant_of(const gateway_state& st,
                                      const std::string& token) {
  if (st.tokens.empty())
    return tenant_scope{}; // open service: tokens are ignored
  if (token.empty())
    return make_error(error_code::unauthorized,
                      "this service requires an access token");
  const access_token* match = nullptr;
  for (auto& candidate : st.tokens)
    if (same_secret(candidate.token, token))
      match = &candidate;
  if (match == nullptr)
    return make_error(error_code::unauthorized, "access token not accepted");
  if (match->tenant == "*")
    return tenant_scope{};
  return tenant_scope{match->tenant};
}

gateway_actor::behavior_type
gateway_impl(gateway_pointer self, router_actor router, remote_options opts) {
  auto& st = self->state;
  st.router = std::move(router);
  st.tokens = std::move(opts.tokens);
  st.limits = {opts.max_in_flight, opts.max_request_bytes,
               opts.request_timeout};
  // Stops with the router, as its sessions do (they monitor it too).
  self->monitor(st.router);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return relay_behavior<gateway_actor>(
      refusing_relay{self},
      [self](login_atom,
             std::string& token) -> caf::result<session_actor, session_key> {
        auto owner = self->current_sender();
        if (!owner)
          return make_error(error_code::invalid_argument,
                            "login needs a sender to own the session");
        auto tenant = tenant_of(self->state, token);
        if (!tenant)
          return std::move(tenant.error());
        auto key = make_session_key();
        if (!key)
          return make_error(error_code::internal,
                            "no random bits for a session key");
        auto session =
            self->spawn(session_impl, self->state.router, std::move(*tenant),
                        self->state.limits, *key, std::move(owner));
        return {std::move(session), *key};
      });
}

} // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, const router_actor& router,
                            const remote_options& opts) {
  return sys.spawn(gateway_impl, router, opts);
}

} // namespace statekeeper
