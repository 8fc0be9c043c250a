#include "actors/gateway.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/relay.hpp"
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
  tenant_scope tenant;
  session_limits limits;
  uint32_t in_flight = 0;
};

using session_pointer = router_actor::stateful_pointer<session_state>;

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

struct session_relay {
  session_pointer self;

  template <class Reply, class Atom, class... Ts>
  caf::typed_response_promise<Reply> call(Atom atom, Ts... xs) {
    auto rp = self->make_response_promise<Reply>();
    auto& st = self->state;
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
    ++st.in_flight;
    auto me = self;
    self->request(st.router, st.limits.request_timeout, atom, std::move(xs)...)
        .then(
            [me, rp](Reply& reply) mutable {
              --me->state.in_flight;
              rp.deliver(std::move(reply));
            },
            [me, rp](caf::error& err) mutable {
              --me->state.in_flight;
              rp.deliver(in_our_terms(std::move(err), "the service"));
            });
    return rp;
  }
};

router_actor::behavior_type
session_impl(session_pointer self, router_actor router, tenant_scope tenant,
             session_limits limits, caf::strong_actor_ptr owner) {
  auto& st = self->state;
  st.router = std::move(router);
  st.tenant = std::move(tenant);
  st.limits = limits;
  // The owner is the client's end of the session; it goes down when the
  // client drops its handle or the connection is lost.
  self->monitor(owner);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return relay_behavior<router_actor>(session_relay{self});
}

// -- the gateway
// ----------------------------------------------------------------

struct gateway_state {
  static inline const char* name = "statekeeper.gateway";
  router_actor router;
  std::vector<access_token> tokens;
  session_limits limits;
};

using gateway_pointer = gateway_actor::stateful_pointer<gateway_state>;

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
  self->monitor(st.router);
  // Sessions are linked: stopping with a non-normal reason stops them too.
  self->set_down_handler(
      [self](caf::down_msg&) { self->quit(caf::exit_reason::user_shutdown); });
  return relay_behavior<gateway_actor>(
      refusing_relay{self},
      [self](login_atom, std::string& token) -> caf::result<router_actor> {
        auto owner = self->current_sender();
        if (!owner)
          return make_error(error_code::invalid_argument,
                            "login needs a sender to own the session");
        auto tenant = tenant_of(self->state, token);
        if (!tenant)
          return std::move(tenant.error());
        return self->spawn<caf::linked>(session_impl, self->state.router,
                                        std::move(*tenant), self->state.limits,
                                        std::move(owner));
      });
}

} // namespace

gateway_actor spawn_gateway(caf::actor_system& sys, const router_actor& router,
                            const remote_options& opts) {
  return sys.spawn(gateway_impl, router, opts);
}

} // namespace statekeeper
