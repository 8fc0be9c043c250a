// The protocol between namespace actors and the persistence actors that own
// the PostgreSQL connections. Internal to the service; users never send
// these. Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/change.hpp"
#include "messages/cluster.hpp"
#include "messages/entry.hpp"
#include "messages/namespace_path.hpp"
#include "messages/stats.hpp"

namespace statekeeper {

using load_atom = caf::atom_constant<caf::atom("load")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using queue_atom = caf::atom_constant<caf::atom("queue")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using release_atom = caf::atom_constant<caf::atom("release")>;

/// The changes of one namespace that one revision (or several, in async
/// mode) produced, in order.
struct persist_batch {
  /// Rendered namespace.
  std::string ns;
  std::vector<change_record> changes;
  /// The namespace revision after these changes.
  uint64_t revision = 0;
  /// The change history keeps every change with a revision above this;
  /// older changes may be deleted in the same transaction.
  uint64_t history_floor = 0;
  /// Changes at or below this were deleted by an earlier commit: deleting
  /// starts above it, which keeps the delete off the index entries of rows
  /// already deleted.
  uint64_t trimmed_floor = 0;
  /// The namespace's incarnation (see watch_cursor), stored with its
  /// revision.
  uint64_t incarnation = 0;
  /// Several nodes: the epoch of the lease under which the namespace's
  /// owner writes; the commit fails (`not_owner`) unless it is still the
  /// namespace's current lease. 0: a single node, no lease.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, persist_batch& x) {
  return f(caf::meta::type_name("persist_batch"), x.ns, x.changes, x.revision,
           x.history_floor, x.trimmed_floor, x.incarnation, x.epoch);
}

/// A namespace as stored: its revision, its live entries and its history.
struct namespace_snapshot {
  uint64_t revision = 0;
  std::vector<entry> entries;
  /// The stored changes, in revision order (within a revision, in the order
  /// they were made); their `version` is their revision.
  std::vector<change_record> history;
  /// Every change above this revision is in `history`: the lowest revision
  /// in it minus one, or `revision` if it is empty.
  uint64_t history_floor = 0;
  /// The stored incarnation; 0 if none is stored yet.
  uint64_t incarnation = 0;
  /// Several nodes: the epoch of the lease the load took, under which the
  /// owner commits (persist_batch::epoch); 0 on a single node.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, namespace_snapshot& x) {
  return f(caf::meta::type_name("namespace_snapshot"), x.revision, x.entries,
           x.history, x.history_floor, x.incarnation, x.epoch);
}

/// Counters of one persistence actor, for tests and operators.
struct persistence_stats {
  /// Transactions committed.
  uint64_t commits = 0;
  /// Batches (write requests) those transactions carried.
  uint64_t batches = 0;
  /// Transactions that failed.
  uint64_t failures = 0;
  /// Several nodes: leases taken (one per load), and batches refused
  /// because their namespace's lease had passed to another node (fenced).
  uint64_t leases = 0;
  uint64_t fenced = 0;
  /// How long the committed transactions took, and how many batches each
  /// carried.
  histogram commit_seconds = commit_seconds_histogram();
  histogram commit_batches = commit_batches_histogram();
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, persistence_stats& x) {
  return f(caf::meta::type_name("persistence_stats"), x.commits, x.batches,
           x.failures, x.leases, x.fenced, x.commit_seconds, x.commit_batches);
}

using persistence_actor = caf::typed_actor<
    /// Loads a namespace (rendered) with its live entries.
    caf::replies_to<load_atom, std::string>::with<namespace_snapshot>,
    /// Commits a batch; replies once it is durable (group commit: batches that
    /// arrive while a transaction runs share the next one).
    caf::replies_to<write_atom, persist_batch>::with<ok_atom>,
    /// Queues a batch for the next commit without a reply (async durability).
    caf::reacts_to<queue_atom, persist_batch>,
    /// Several nodes: frees the lease of a namespace (rendered) taken at an
    /// epoch, once its owner retired.
    caf::reacts_to<release_atom, std::string, uint64_t>,
    /// Replies once everything queued so far is committed.
    caf::replies_to<sync_atom>::with<ok_atom>,
    /// Namespaces at or under a rendered prefix ("" = all) with a live entry.
    caf::replies_to<list_ns_atom, std::string>::with<std::vector<std::string>>,
    /// Whether a namespace (rendered) holds a live entry in the database.
    caf::replies_to<ns_exists_atom, std::string>::with<bool>,
    /// Deletes expired rows: up to ten statements of purge_batch rows each,
    /// while they come back full; replies how many.
    caf::replies_to<purge_atom>::with<uint64_t>,
    caf::replies_to<stats_atom>::with<persistence_stats>,
    /// Several nodes: every member (router_actor's `members`).
    caf::replies_to<members_atom>::with<std::vector<member_status>>,
    /// Internal: commit what is queued; (re)connect.
    caf::reacts_to<flush_atom>, caf::reacts_to<connect_atom>>;

/// Bounds what async durability may acknowledge before it is committed
/// (actors/async_backlog.hpp): a namespace actor asks for room for a
/// batch's change records before it acknowledges them; its persistence
/// actor gives the room back once they are committed (or given up on).
using async_backlog_actor = caf::typed_actor<
    /// admit(records) -> ok once there is room (at once below the limit).
    caf::replies_to<admit_atom, uint64_t>::with<ok_atom>,
    /// release(records): committed, or given up on.
    caf::reacts_to<release_atom, uint64_t>>;

} // namespace statekeeper
