#include "actors/timer_actor.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace statekeeper {

timer_actor::behavior_type timer_actor_impl(timer_actor::pointer self,
                                            service_router_actor router,
                                            caf::timespan interval) {
  self->monitor(router);
  self->set_down_handler(
      [self](caf::down_msg& msg) { self->quit(msg.reason); });
  self->delayed_send(self, interval, tick_atom::value);
  return {
      [self, router, interval](tick_atom) {
        self->send(router, tick_atom::value);
        self->delayed_send(self, interval, tick_atom::value);
      },
  };
}

} // namespace statekeeper
