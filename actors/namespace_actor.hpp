// The owner of one namespace. Spawned and monitored by the router; the only
// code that touches the namespace's keyspace and backend store, so neither
// needs a lock. Runs on the cooperative scheduler, or on a thread of its own
// when service_options::pin_namespaces is set. Its parts: this behavior,
// loading and making changes durable (namespace_durability.hpp), watch
// delivery (namespace_watches.hpp) and its expiry timer
// (namespace_expiry.hpp).
//
// With PostgreSQL, it loads its namespace from its persistence actor on
// first use (requests that arrive meanwhile wait, in order), and in sync
// durability it applies a change only once its commit is acknowledged.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/optional.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/keyspace.hpp"
#include "actors/service_options.hpp"
#include "actors/watch_hub.hpp"
#include "backends/storage.hpp"
#include "messages/interfaces.hpp"
#include "messages/internal.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

struct namespace_state {
  static const char* name;
  /// Rendered namespace.
  std::string ns;
  service_options opts;
  /// Null without PostgreSQL.
  persistence_actor persistence;
  /// Null unless durability is async.
  async_backlog_actor backlog;
  /// Empty until loaded (PostgreSQL), and again after a failed commit whose
  /// outcome must be re-read from the database.
  std::optional<keyspace> space;
  /// Set by `drain`: an owner on its way out writes nothing of its own
  /// accord (no sweep) that the namespace's next owner could miss. Cleared
  /// by `resume` (the router called the retirement off) or a failed drain.
  bool sweeps_on_hold = false;
  /// When the current sweep message is due (a sweep under way: when it
  /// started); none if none is on its way. Owners sweep at their earliest
  /// expiry, at most once per sweep-interval (actors/namespace_expiry.hpp).
  caf::optional<caf::timestamp> sweep_due;
  /// The generation of the current sweep message; one of an older
  /// generation was superseded.
  uint64_t sweep_generation = 0;
  caf::timestamp last_sweep;
  /// A progress message to self is on its way (sent while there are
  /// watchers).
  bool progress_scheduled = false;
  caf::actor_addr router;
  /// Change history and watchers; configured at spawn.
  watch_hub hub{0, 1};
  /// Names this life of the namespace's revisions in watch cursors (see
  /// watch_cursor); 0 until loaded.
  uint64_t incarnation = 0;
};

using namespace_pointer = namespace_actor::stateful_pointer<namespace_state>;

/// Behavior of the owner of namespace `ns` (rendered). It stops when
/// `router` does. Without persistence it serves `store`; with it, `store` is
/// null and the namespace is loaded from `persistence`.
namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::string ns, std::shared_ptr<namespace_store> store,
                     persistence_actor persistence, async_backlog_actor backlog,
                     service_options opts);

} // namespace statekeeper
