// The owner of one namespace. Spawned and monitored by the router; while it
// is active, the only code that touches the namespace's keyspace and
// backend store, so neither needs a lock. Runs on the cooperative scheduler, or
// on a thread of its own when service_options::pin_namespaces is set. Its
// parts: this behavior, loading and making changes durable
// (namespace_durability.hpp), watch delivery (namespace_watches.hpp) and its
// expiry timer (namespace_expiry.hpp).
//
// With PostgreSQL, it loads its namespace from its persistence actor on
// first use (requests that arrive meanwhile wait, in order). In sync
// durability it pipelines commits: it applies each change in memory at once
// and goes on with the next request, commits what accumulated while the
// previous commit ran, and answers a request only once everything the
// request observed is committed (see commit_pipeline).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/optional.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/keyspace.hpp"
#include "actors/service_options.hpp"
#include "actors/watch_hub.hpp"
#include "backends/storage.hpp"
#include "messages/change.hpp"
#include "messages/interfaces.hpp"
#include "messages/internal.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

class node_membership;

/// Sync durability: the changes applied in memory whose commit is not
/// acknowledged yet, and what waits for them. At most one commit is under
/// way; what is applied meanwhile goes into the next. Nothing of a change
/// leaves the owner (reply, watch event) before its commit: if a commit
/// fails, everything held fails with it and the changes are taken back (or
/// the namespace reloaded, if the commit's outcome is unknown), so nothing
/// acknowledged or observed is ever rolled back.
struct commit_pipeline {
  /// Called with none once what it waits for is committed, or with what
  /// went wrong.
  using continuation = std::function<void(caf::error)>;
  /// Every change up to this revision is committed.
  uint64_t durable = 0;
  /// The changes of the commit under way (published to watchers once it is
  /// acknowledged); empty: none is.
  std::vector<change_record> committing;
  /// Applied since the commit under way started: the next commit.
  std::vector<change_record> next;
  /// Replies (and other continuations) waiting for a revision to be
  /// committed, in revision order.
  std::deque<std::pair<uint64_t, continuation>> held;
  /// Per batch applied and not yet committed, in order: the revision before
  /// it, and what takes it back (keyspace::undo_of).
  std::deque<std::pair<uint64_t, std::vector<change_record>>> undo;

  /// Whether nothing is applied in memory that is not committed.
  bool idle() const {
    return committing.empty() && next.empty() && held.empty();
  }
};

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
  /// Set when `drain` answered that it may retire: from then on a request
  /// (which a caller that cached this owner may still send) is not handled
  /// but answered with caf::sec::request_receiver_down, so that the caller
  /// resolves the namespace again (actors/owner_cache.hpp). Cleared by
  /// `resume`.
  bool retired = false;
  /// When it last handled a namespace operation (see `drain`).
  caf::timestamp last_request;
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
  /// Changes the watchers have not been sent yet, and whether a `notify`
  /// to self is on its way to send them.
  std::vector<change_record> unsent;
  bool notify_scheduled = false;
  caf::actor_addr router;
  /// Change history and watchers; configured at spawn.
  watch_hub hub{0, 1};
  /// Sync durability only.
  commit_pipeline pipeline;
  /// The stored history is deleted up to here (see persist_batch); 0 after
  /// a load, as rows below a hole may remain.
  uint64_t trimmed_floor = 0;
  /// Names this life of the namespace's revisions in watch cursors (see
  /// watch_cursor); 0 until loaded.
  uint64_t incarnation = 0;
  /// Several nodes: this node's membership (null on a single node), the
  /// membership term in which the namespace was loaded, and the epoch of
  /// the lease the load took, under which every commit is made.
  std::shared_ptr<const node_membership> node;
  uint64_t term = 0;
  uint64_t epoch = 0;
};

using namespace_pointer = namespace_actor::stateful_pointer<namespace_state>;

/// Behavior of the owner of namespace `ns` (rendered). It stops on an exit
/// message, which the router sends it when the router stops. Without
/// persistence it serves `store`; with it, `store` is null and the
/// namespace is loaded from `persistence`. With `node` (one of
/// several nodes), it stops when its lease passes to another node, or may
/// have (see actors/membership.hpp).
namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::string ns, std::shared_ptr<namespace_store> store,
                     persistence_actor persistence, async_backlog_actor backlog,
                     service_options opts,
                     std::shared_ptr<const node_membership> node);

/// Tells the router what the service's counters (stats) need: entries
/// the sweep removed, and a change in the number of watches.
void report_usage(namespace_pointer self, uint64_t expired, int64_t watchers);

} // namespace statekeeper
