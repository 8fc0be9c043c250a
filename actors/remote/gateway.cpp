#include "actors/remote/gateway.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/access.hpp"
#include "actors/owner_cache.hpp"
#include "actors/relay.hpp"
#include "actors/remote/wire_guard.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

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
                                   watch_batch& events) {
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

// The answer to a batch of watch events the session relays: the namespace
// actor counts the batch as pending until it is answered, and keeps its
// handler until then, as its requests to watchers carry no timeout. If the
// session stops first (its client went away), the handler goes with the
// session's state and this answers in its place, so nothing waits forever.
class answered_when_dropped {
 public:
  explicit answered_when_dropped(caf::response_promise rp)
      : rp_(std::move(rp)) {
    // nop
  }
  answered_when_dropped(const answered_when_dropped&) = delete;
  answered_when_dropped& operator=(const answered_when_dropped&) = delete;
  ~answered_when_dropped() {
    if (rp_.pending())
      rp_.deliver(make_error(error_code::storage_unavailable,
                             "the watcher's session ended"));
  }
  template <class T> void deliver(T x) { rp_.deliver(std::move(x)); }

 private:
  caf::response_promise rp_;
};

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
    if (auto err = admit(st.tenant, atom, xs...)) {
      rp.deliver(std::move(err));
      return rp;
    }
    if (auto err = check_request_bytes(st.limits.max_request_bytes,
                                       "max-request-bytes", xs...)) {
      rp.deliver(std::move(err));
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

  template <class Reply, class OnReply, class OnError, class Atom, class... Ts>
  void dispatch(OnReply on_reply, OnError on_error, Atom atom, Ts... xs) {
    auto& st = self->state;
    request_service<Reply>(self, *st.owners, st.limits.request_timeout,
                           std::move(on_reply), std::move(on_error), atom,
                           std::move(xs)...);
  }
};

session_actor::behavior_type
session_impl(session_pointer self, router_actor router, tenant_scope tenant,
             session_limits limits, session_key key,
             caf::strong_actor_ptr owner, bool peer) {
  auto& st = self->state;
  st.router = std::move(router);
  // A peer session's requests were forwarded once already: no further.
  st.owners.emplace(st.router, 1024, !peer);
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
             uint64_t id, watch_batch& events) -> caf::result<void> {
        auto rp = self->make_response_promise();
        if (!same_key(key, self->state.key)) {
          rp.deliver(wrong_key());
          return rp;
        }
        // The session, not the namespace actor, is the sender on the wire.
        auto answer = std::make_shared<answered_when_dropped>(rp);
        self->request(remote, self->state.limits.request_timeout, atom, id,
                      std::move(events))
            .then(
                [answer]() { answer->deliver(caf::unit); },
                [answer](caf::error& err) { answer->deliver(std::move(err)); });
        return rp;
      });
}

// -- the gateway
// ----------------------------------------------------------------

struct gateway_state {
  static inline const char* name = "statekeeper.gateway";
  router_actor router;
  std::vector<access_token> tokens;
  std::string peer_token;
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

gateway_actor::behavior_type
gateway_impl(gateway_pointer self, router_actor router, remote_options opts) {
  auto& st = self->state;
  st.router = std::move(router);
  st.tokens = std::move(opts.tokens);
  st.peer_token = std::move(opts.peer_token);
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
        auto& st = self->state;
        // Compared whatever the tokens, in constant time.
        bool peer = !st.peer_token.empty() && same_secret(st.peer_token, token);
        auto tenant = peer ? caf::expected<tenant_scope>{tenant_scope{}}
                           : tenant_of(self->state.tokens, token);
        if (!tenant)
          return std::move(tenant.error());
        auto key = make_session_key();
        if (!key)
          return make_error(error_code::internal,
                            "no random bits for a session key");
        auto session =
            self->spawn(session_impl, self->state.router, std::move(*tenant),
                        self->state.limits, *key, std::move(owner), peer);
        return {std::move(session), *key};
      });
}

} // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, const router_actor& router,
                            const remote_options& opts) {
  return sys.spawn(gateway_impl, router, opts);
}

} // namespace statekeeper
