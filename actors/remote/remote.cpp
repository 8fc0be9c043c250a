#include "actors/remote/remote.hpp"

#include <functional>
#include <set>
#include <unordered_map>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/relay.hpp"
#include "actors/remote/gateway.hpp"
#include "actors/remote/tls_error_queue.hpp"
#include "actors/remote/wire_guard.hpp"
#include "messages/error.hpp"
#include "messages/internal.hpp"

namespace statekeeper {

namespace {

caf::error tls_unavailable() {
  return make_error(error_code::invalid_argument,
                    "TLS needs caf::openssl::manager loaded in the actor "
                    "system's config");
}

caf::error check_tls(caf::actor_system& sys, bool tls) {
  if (!tls)
    return {};
  if (!sys.has_openssl_manager())
    return tls_unavailable();
  if (!tls_error_queue_guarded())
    return make_error(error_code::internal,
                      "OpenSSL's I/O functions were not found");
  return {};
}

// -- the client's end of a session
// ------------------------------------------------

struct link_state {
  static inline const char* name = "statekeeper.session_link";
  gateway_actor gateway;
  /// Empty until login, and again once the connection is lost.
  session_actor session;
  /// Goes with every request: the session serves no one without it.
  session_key key;
  std::string peer;
  caf::timespan connect_timeout;
  caf::timespan request_timeout;
  /// Requests waiting for the session, failed at once if it goes away.
  std::unordered_map<uint64_t, std::function<void(caf::error)>> waiting;
  uint64_t next_id = 0;
  /// The handle (see below): the link stops when it does.
  caf::actor_addr handle;
};

// Guarded as a client (wire_guard.hpp): once it sent a request over the
// wire, any peer of this node can message it, and on a node of a cluster
// it speaks for the node in a peer session.
using link_pointer =
    wire_guarded<link_state, session_link_actor::base, wire_role::client>*;

caf::error lost(const link_state& st) {
  return make_error(error_code::storage_unavailable,
                    "connection to statekeeper at " + st.peer + " lost");
}

struct link_relay {
  link_pointer self;

  template <class Reply, class... Ts>
  caf::typed_response_promise<Reply> call(Ts... xs) {
    auto rp = self->make_response_promise<Reply>();
    auto& st = self->state;
    if (!st.session) {
      rp.deliver(lost(st));
      return rp;
    }
    auto id = st.next_id++;
    st.waiting.emplace(id, [rp](caf::error err) mutable { rp.deliver(err); });
    auto me = self;
    self->request(st.session, st.request_timeout, st.key, std::move(xs)...)
        .then(
            [me, rp, id](Reply& reply) mutable {
              if (me->state.waiting.erase(id) > 0)
                rp.deliver(std::move(reply));
            },
            [me, rp, id](caf::error& err) mutable {
              if (me->state.waiting.erase(id) > 0)
                rp.deliver(in_our_terms(std::move(err),
                                        "statekeeper at " + me->state.peer));
            });
    return rp;
  }
};

session_link_actor::behavior_type session_link_impl(link_pointer self,
                                                    gateway_actor gateway,
                                                    std::string peer,
                                                    connect_options opts) {
  auto& st = self->state;
  st.gateway = std::move(gateway);
  st.peer = std::move(peer);
  st.connect_timeout = opts.connect_timeout;
  st.request_timeout = opts.request_timeout;
  // Answers come from the service's node.
  self->trust(st.gateway.node());
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.handle) {
      // Unless it still runs: then a peer made the message up.
      if (!caf::actor_cast<caf::strong_actor_ptr>(st.handle))
        self->quit();
      return;
    }
    if (msg.source != st.session.address())
      return;
    st.session = nullptr;
    auto waiting = std::move(st.waiting);
    st.waiting.clear();
    for (auto& entry : waiting)
      entry.second(lost(st));
  });
  return relay_behavior<session_link_actor>(
      link_relay{self},
      [self](handle_atom) {
        if (auto handle = self->current_sender()) {
          self->state.handle = handle->address();
          self->monitor(handle);
        }
      },
      [self](login_atom atom, std::string& token) {
        auto rp = self->make_response_promise<ok_atom>();
        auto& st = self->state;
        self->request(st.gateway, st.connect_timeout, atom, std::move(token))
            .then(
                [self, rp](session_actor& session, session_key key) mutable {
                  self->monitor(session);
                  self->state.session = std::move(session);
                  self->state.key = key;
                  rp.deliver(ok_atom::value);
                },
                [self, rp](caf::error& err) mutable {
                  rp.deliver(in_our_terms(
                      std::move(err), "statekeeper at " + self->state.peer));
                  self->quit(); // no handle will come
                });
        return rp;
      });
}

// What connect_service hands out. CAF keeps an actor that was sent over the
// wire (the link, as the sender of its requests) alive until it stops, so
// the link cannot notice that its users are gone. The handle is this
// facade, which never crosses the wire: when the last copy of it is
// dropped it stops, and stops the link, which ends the session.
//
// The handle answers `resolve` too: no owner of a remote service is
// reachable from here (its session is the way in), which tells a blocking
// client to send everything through the handle.
using session_handle_actor = router_actor::extend_with<owner_directory>;

struct delegating_relay {
  session_handle_actor::pointer self;
  session_link_actor link;

  template <class Reply, class... Ts> caf::delegated<Reply> call(Ts... xs) {
    return self->delegate(link, std::move(xs)...);
  }
};

session_handle_actor::behavior_type
session_handle_impl(session_handle_actor::pointer self,
                    session_link_actor link) {
  // The link monitors this handle and stops with it.
  self->send(link, handle_atom::value);
  return relay_behavior<session_handle_actor>(
      delegating_relay{self, link},
      [](resolve_atom,
         const namespace_path&) -> caf::result<namespace_operations> {
        return caf::make_error(caf::sec::unexpected_message);
      },
      [](peer_atom, const member_info&) -> caf::result<router_actor> {
        return caf::make_error(caf::sec::unexpected_message);
      },
      [](forget_peer_atom, uint64_t) {});
}

caf::error unreachable(const std::string& peer, const std::string& why) {
  return make_error(error_code::storage_unavailable,
                    "cannot reach statekeeper at " + peer + ": " + why);
}

} // namespace

caf::expected<uint16_t> publish_service(caf::actor_system& sys,
                                        const router_actor& router,
                                        const remote_options& opts) {
  if (auto err = validate(opts))
    return err;
  if (auto err = check_tls(sys, opts.tls))
    return err;
  if (exposed_without_client_auth(sys.config(), opts) &&
      !opts.insecure_no_client_auth)
    return make_error(
        error_code::invalid_argument,
        "listening on " + opts.address +
            " needs TLS with client certificates (statekeeper.tls and the "
            "openssl.certificate, openssl.key and openssl.cafile options): "
            "without them anyone who reaches the port can make the service "
            "allocate memory before any check; set "
            "statekeeper.insecure-no-client-auth to allow it anyway");
  auto gateway = spawn_gateway(sys, router, opts);
  // SO_REUSEADDR: a restarted service can take its port back while
  // connections of the previous one linger in TIME_WAIT.
  auto port = opts.tls ? caf::openssl::publish(gateway, opts.port,
                                               opts.address.c_str(), true)
                       : sys.middleman().publish(gateway, opts.port,
                                                 opts.address.c_str(), true);
  if (!port) // the gateway, reachable by no one, stops with the router
    return std::move(port.error());
  // Stop listening when the service stops.
  auto mm = opts.tls ? sys.openssl_manager().actor_handle()
                     : sys.middleman().actor_handle();
  caf::actor_cast<caf::abstract_actor*>(gateway)->attach_functor(
      [mm, bound = *port] {
        caf::anon_send(mm, caf::close_atom::value, bound);
      });
  return port;
}

caf::expected<router_actor> connect_service(caf::actor_system& sys,
                                            const std::string& host,
                                            uint16_t port,
                                            const connect_options& opts) {
  if (!sys.has_middleman())
    return make_error(error_code::invalid_argument,
                      "connect_service needs CAF networking: load "
                      "caf::io::middleman in the actor system's config");
  if (auto err = check_tls(sys, opts.tls))
    return err;
  auto peer = host + ":" + std::to_string(port);
  auto mm = opts.tls ? sys.openssl_manager().actor_handle()
                     : sys.middleman().actor_handle();
  caf::scoped_actor self{sys};
  caf::expected<gateway_actor> gateway{caf::error{}};
  self->request(mm, opts.connect_timeout, caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
              std::set<std::string>& ifs) {
            if (!ptr)
              gateway = unreachable(peer, "nothing is published there");
            else if (!sys.assignable<gateway_actor>(ifs))
              gateway =
                  unreachable(peer, "the actor published there is not a "
                                    "statekeeper gateway of this version");
            else
              gateway = caf::actor_cast<gateway_actor>(std::move(ptr));
          },
          [&](caf::error& err) {
            if (err == caf::sec::request_timeout)
              gateway = make_error(error_code::timeout,
                                   "no connection to statekeeper at " + peer +
                                       " within the connect timeout");
            else
              gateway = unreachable(peer, sys.render(err));
          });
  if (!gateway)
    return std::move(gateway.error());
  auto link = sys.spawn(session_link_impl, *gateway, peer, opts);
  caf::error failure;
  self->request(link, caf::infinite, login_atom::value, opts.token)
      .receive([](ok_atom) {},
               [&](caf::error& err) { failure = std::move(err); });
  if (failure)
    return failure; // the link stopped
  return caf::actor_cast<router_actor>(sys.spawn(session_handle_impl, link));
}

} // namespace statekeeper
