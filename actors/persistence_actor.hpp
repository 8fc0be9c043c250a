// A persistence actor owns one connection to the database (a durable_store,
// backends/durable_store.hpp) and commits the writes of the namespaces
// assigned to it. It must be spawned detached: the store blocks, and a
// blocking call must never hold one of the cooperative scheduler's threads.
//
// Group commit: a write is queued and a flush message is sent to self; the
// flush commits everything queued before it in one transaction. While a
// transaction runs, new writes pile up in the mailbox and share the next
// one, so batches grow with load and a lone write waits for nobody.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/service_options.hpp"
#include "backends/durable_store.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

class node_membership;

struct persistence_state {
  static const char* name;
  std::unique_ptr<durable_store> db;
  postgres_options opts;
  async_backlog_actor backlog;
  /// Acknowledged (async) writes not yet committed; kept until they are.
  std::vector<persist_batch> acknowledged;
  /// Sync writes waiting for the next commit, and their promises.
  std::vector<persist_batch> waiting;
  std::vector<caf::typed_response_promise<ok_atom>> waiters;
  /// sync() callers waiting for the next commit.
  std::vector<caf::typed_response_promise<ok_atom>> syncs;
  bool flush_scheduled = false;
  /// Delay before the next connection attempt; doubles up to a limit.
  caf::timespan backoff{0};
  caf::timestamp next_connect_attempt;
  persistence_stats stats;
  /// Several nodes: this node's membership; null on a single node.
  std::shared_ptr<const node_membership> node;
};

using persistence_pointer =
    persistence_actor::stateful_pointer<persistence_state>;

/// Behavior of a persistence actor on a store from `open_store`; connects on
/// start and whenever a call
/// finds the connection gone (no more often than the backoff allows).
/// With async durability, `backlog` gets back the room of each
/// acknowledged batch once it is committed (or given up on). With `node`
/// (one of several nodes), a load takes the namespace's lease first and a
/// commit fails the batches whose lease passed to another node.
persistence_actor::behavior_type
persistence_actor_impl(persistence_pointer self, postgres_options opts,
                       durable_store_factory open_store,
                       async_backlog_actor backlog,
                       std::shared_ptr<const node_membership> node);

} // namespace statekeeper
