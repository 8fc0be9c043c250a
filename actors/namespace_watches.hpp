// Watch delivery of a namespace owner: starting and ending watches, handing
// each applied change to the history and the watchers with flow control,
// dropping watchers that fall behind, and progress for idle watchers.
// Called only by the owner (actors/namespace_actor.hpp), in its handlers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "actors/keyspace.hpp"
#include "actors/namespace_actor.hpp"
#include "messages/change.hpp"
#include "messages/watch.hpp"

namespace statekeeper {

/// A watch as its request found the namespace.
struct watch_start {
  /// Normalized.
  std::vector<std::string> prefixes;
  /// Resume after this cursor; none: start with the snapshot.
  caf::optional<watch_cursor> from;
  /// Without a cursor: the entries, then snapshot_done at
  /// `snapshot_revision`.
  std::vector<watch_event> snapshot;
  uint64_t snapshot_revision = 0;
};

/// Takes what a watch starts from: the snapshot of the entries (without a
/// cursor). Errors: invalid_argument for a null watcher.
caf::expected<watch_start> prepare_watch(const keyspace& space,
                                         std::vector<std::string> prefixes,
                                         caf::optional<watch_cursor> from,
                                         const watcher_actor& who,
                                         caf::timestamp now);

/// Opens a watch once everything `start` saw is durable: the snapshot (or
/// the replay after its cursor) first, then live changes; nothing falls in
/// between, as the owner handles one message at a time. Returns the watch
/// id. Errors: cursor_expired for a cursor of another incarnation, ahead of
/// the namespace, or beyond the history.
caf::expected<uint64_t> open_watch(namespace_pointer self, watcher_actor who,
                                   watch_start start);

/// Ends the watch `id`; returns whether it existed.
bool end_watch(namespace_pointer self, uint64_t id);

/// Sends every watcher `dropped` with `why`, and ends its watch.
void drop_all_watchers(namespace_pointer self, const std::string& why);

/// Records applied changes in the history and sends them to the watchers
/// they match.
void publish(namespace_pointer self, const std::vector<change_record>& changes);

/// Sends changes already in the history to the watchers they match: on
/// the next `notify`, so that the changes of every request handled until
/// then go to each watcher as one batch.
void notify_watchers(namespace_pointer self,
                     const std::vector<change_record>& changes);

/// The `notify` message: sends the watchers what notify_watchers collected.
void send_unsent(namespace_pointer self);

/// The `progress` message: tells watchers that heard nothing since the last
/// one where the namespace is, so that their cursor keeps up with the
/// history; sends the next while there are watchers.
void on_progress(namespace_pointer self);

} // namespace statekeeper
