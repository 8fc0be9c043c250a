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

/// Starts a watch: the snapshot (or the replay after `from`) first, then
/// live changes; nothing falls in between, as the owner handles one message
/// at a time. Returns the watch id. Errors: invalid_argument for a null
/// watcher; cursor_expired for a cursor of another incarnation, ahead of
/// the namespace, or beyond the history.
caf::expected<uint64_t> start_watch(namespace_pointer self, keyspace& space,
                                    std::vector<std::string> prefixes,
                                    caf::optional<watch_cursor> from,
                                    watcher_actor who, caf::timestamp now);

/// Ends the watch `id`; returns whether it existed.
bool end_watch(namespace_pointer self, uint64_t id);

/// Sends every watcher `dropped` with `why`, and ends its watch.
void drop_all_watchers(namespace_pointer self, const std::string& why);

/// Records the changes of one applied revision in the history and sends
/// them to the watchers they match.
void publish(namespace_pointer self, const std::vector<change_record>& changes);

/// The `progress` message: tells watchers that heard nothing since the last
/// one where the namespace is, so that their cursor keeps up with the
/// history; sends the next while there are watchers.
void on_progress(namespace_pointer self);

} // namespace statekeeper
