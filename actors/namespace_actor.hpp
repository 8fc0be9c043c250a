// The owner of one namespace. Spawned and monitored by the router; the only
// code that touches the namespace's keyspace and backend store, so neither
// needs a lock. Runs on the cooperative scheduler, or on a thread of its own
// when service_options::pin_namespaces is set.
#pragma once

#include <memory>

#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <optional>

#include "actors/keyspace.hpp"
#include "actors/service_options.hpp"
#include "backends/storage.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

struct namespace_state {
  static const char* name;
  std::optional<keyspace> space;
};

using namespace_pointer = namespace_actor::stateful_pointer<namespace_state>;

/// Behavior of a namespace actor owning `store` under `opts`. It stops when
/// `router` does.
namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::shared_ptr<namespace_store> store,
                     service_options opts);

} // namespace statekeeper
