#include "actors/http/http_bridge.hpp"

#include <algorithm>
#include <utility>

#include <caf/event_based_actor.hpp>

namespace statekeeper {

namespace {

using steady = std::chrono::steady_clock;

using deadline_atom = caf::atom_constant<caf::atom("deadline")>;

/// Wakes the bridge at the earliest deadline, unless a wake-up is pending.
void arm_deadline(http_bridge_pointer self) {
  auto& st = self->state;
  if (st.deadline_armed || st.waiting.empty())
    return;
  st.deadline_armed = true;
  auto wait = st.waiting.begin()->second.deadline - steady::now();
  self->delayed_send(self, std::max(wait, steady::duration::zero()),
                     deadline_atom::value);
}

/// Answers every call past its deadline with `timeout`.
void expire_calls(http_bridge_pointer self) {
  auto& st = self->state;
  st.deadline_armed = false;
  auto now = steady::now();
  while (!st.waiting.empty() && st.waiting.begin()->second.deadline <= now) {
    auto on_error = std::move(st.waiting.begin()->second.on_error);
    st.waiting.erase(st.waiting.begin());
    auto err = caf::make_error(caf::sec::request_timeout);
    on_error(err);
  }
  arm_deadline(self);
}

caf::behavior bridge_impl(http_bridge_pointer self, router_actor router,
                          caf::timespan timeout) {
  self->state.owners.emplace(router);
  self->state.timeout = timeout;
  self->monitor(router);
  self->set_down_handler([self](caf::down_msg&) {
    // What the stopping service did not answer yet, it will not.
    auto waiting = std::exchange(self->state.waiting, {});
    for (auto& [id, call] : waiting) {
      auto err = make_error(error_code::storage_unavailable,
                            "the service is stopping");
      call.on_error(err);
    }
    self->quit();
  });
  return {
      [self](http_job& job) { job(self); },
      [self](deadline_atom) { expire_calls(self); },
  };
}

} // namespace

uint64_t begin_call(http_bridge_pointer self, http_on_reply on_reply,
                    http_on_error on_error) {
  auto& st = self->state;
  auto id = st.next_call++;
  auto deadline =
      steady::now() + std::chrono::duration_cast<steady::duration>(st.timeout);
  st.waiting.emplace_hint(st.waiting.end(), id,
                          http_bridge_state::waiting_call{deadline,
                                                          std::move(on_reply),
                                                          std::move(on_error)});
  arm_deadline(self);
  return id;
}

std::optional<http_bridge_state::waiting_call>
end_call(http_bridge_pointer self, uint64_t id) {
  auto& waiting = self->state.waiting;
  auto i = waiting.find(id);
  if (i == waiting.end())
    return std::nullopt;
  auto call = std::move(i->second);
  waiting.erase(i);
  return call;
}

caf::actor spawn_http_bridge(caf::actor_system& sys, const router_actor& router,
                             caf::timespan timeout) {
  return sys.spawn(bridge_impl, router, timeout);
}

} // namespace statekeeper
