// Watches: the events a watcher receives and the interface it implements.
// A watcher is any actor that handles `(event_atom, watch_id, events)`; the
// namespace actor sends each batch as a request and counts it as pending
// until the handler returns (CAF then answers it), which is how it sees a
// consumer falling behind. Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"

namespace statekeeper {

enum class watch_event_kind : uint8_t {
  /// `key` now holds `value` at `version` (snapshot entries come as puts).
  put = 1,
  /// `key` was erased by a caller.
  erase,
  /// `key`'s TTL ran out (the sweep removed it); distinct from erase.
  expire,
  /// Every key of the namespace was removed.
  clear,
  /// The snapshot is complete; live changes follow. `revision` is the
  /// revision the snapshot shows.
  snapshot_done,
  /// No matching change since the last event: the namespace is at
  /// `revision`. Save it as the cursor.
  progress,
  /// The watch ended: the watcher fell behind, or its namespace stopped.
  /// `value` says why; resume with from_revision = the last revision seen.
  dropped,
};

std::string to_string(watch_event_kind kind);

struct watch_event {
  watch_event_kind kind = watch_event_kind::put;
  /// The namespace revision of this event: a consumer's cursor.
  uint64_t revision = 0;
  /// put, erase, expire: the key.
  std::string key;
  /// put: the new value; dropped: the reason.
  std::string value;
  /// put: the entry's version (equal to `revision` for live changes; the
  /// version of the entry for snapshot entries).
  uint64_t version = 0;
  /// put: the absolute expiry, if any.
  caf::optional<caf::timestamp> expires_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_event& x) {
  return f(caf::meta::type_name("watch_event"), x.kind, x.revision, x.key,
           x.value, x.version, x.expires_at);
}

/// What a watcher implements: events of the watch `watch_id`, in revision
/// order. Returning from the handler acknowledges the batch.
using watcher_actor = caf::typed_actor<
    caf::reacts_to<event_atom, uint64_t, std::vector<watch_event>>>;

} // namespace statekeeper
