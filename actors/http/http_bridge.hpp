// Where HTTP requests enter the actor system when the gateway cannot send
// them to an owner itself (http_gateway.cpp sends a call straight to an
// owner it knows). The gateway's network threads never block on CAF: they
// hand such an operation to a bridge actor as a job (a function run on the
// bridge), which sends it to the namespace's owner through its owner cache
// (or to the router) and calls back with the reply, and the callback hands
// the response to the network thread. One bridge per network thread; a
// bridge stops with the router.
//
// A call's deadline is kept by its bridge, not by CAF: a CAF request
// timeout costs two messages to CAF's clock thread (set, cancel) and with
// them two thread wake-ups per call. The bridge keeps its calls, with
// their handlers, in the order of their deadlines and wakes once for the
// earliest; a reply after its call's deadline finds nothing to answer and
// is dropped. When the router stops, the bridge answers every call still
// waiting (storage_unavailable) and stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>

#include "actors/owner_cache.hpp"
#include "messages/error.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

/// Answers a call with an error (in statekeeper's terms).
using http_on_error = std::function<void(caf::error&)>;

/// Answers a call with its reply, passed as a pointer to the type the call
/// expects.
using http_on_reply = std::function<void(void*)>;

struct http_bridge_state {
  static inline const char* name = "statekeeper.http_bridge";
  std::optional<owner_cache> owners;
  /// How long a request may wait for the service.
  caf::timespan timeout;
  struct waiting_call {
    std::chrono::steady_clock::time_point deadline;
    http_on_reply on_reply;
    http_on_error on_error;
  };
  /// Calls waiting for the service, by id: ids grow and every call has the
  /// same timeout, so the first is the next to expire.
  std::map<uint64_t, waiting_call> waiting;
  uint64_t next_call = 0;
  /// A wake-up for the earliest deadline is on its way.
  bool deadline_armed = false;
};

using http_bridge_pointer = caf::stateful_actor<http_bridge_state>*;

/// Registers a call, answered by `on_reply` or `on_error`, and by
/// `on_error` with `timeout` if it is still waiting at its deadline.
/// Returns the call's id.
uint64_t begin_call(http_bridge_pointer self, http_on_reply on_reply,
                    http_on_error on_error);

/// Ends call `id` and returns it; none if it was answered already (then
/// the reply is dropped).
std::optional<http_bridge_state::waiting_call>
end_call(http_bridge_pointer self, uint64_t id);

/// Work for a bridge, run in its handler.
using http_job = std::function<void(http_bridge_pointer)>;

/// Spawns a bridge in front of `router`; it runs the http_jobs it receives
/// and stops when the router does.
caf::actor spawn_http_bridge(caf::actor_system& sys, const router_actor& router,
                             caf::timespan timeout);

/// From a job: sends `(atom, xs...)` where the service handles it and calls
/// `on_reply(Reply&)` or `on_error(caf::error&)` on the bridge (errors in
/// statekeeper's terms: a service that does not answer is `timeout`).
template <class Reply, class OnReply, class OnError, class Atom, class... Ts>
void ask_service(http_bridge_pointer self, OnReply on_reply, OnError on_error,
                 Atom atom, Ts... xs) {
  // The handlers stay with the call, so a reply that never comes holds
  // nothing of it once its deadline answered.
  auto id = begin_call(
      self,
      [on_reply](void* reply) mutable {
        on_reply(*static_cast<Reply*>(reply));
      },
      [on_error](caf::error& err) mutable {
        auto ours = in_our_terms(std::move(err), "the service");
        on_error(ours);
      });
  request_service<Reply>(
      self, *self->state.owners, caf::infinite,
      [self, id](Reply& reply) {
        if (auto call = end_call(self, id))
          call->on_reply(&reply);
      },
      [self, id](caf::error& err) {
        if (auto call = end_call(self, id))
          call->on_error(err);
      },
      atom, std::move(xs)...);
}

} // namespace statekeeper

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(statekeeper::http_job)
