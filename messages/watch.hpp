// Watches: the events a watcher receives and the interface it implements.
// A watcher is any actor that handles `(event_atom, watch_id, batch)`; the
// namespace actor sends each batch as a request and counts it as pending
// until the handler returns (CAF then answers it), which is how it sees a
// consumer falling behind. Plain values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <caf/meta/load_callback.hpp>
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
  /// `value` says why; `revision` is the cursor of the last event sent
  /// before it: resume from there.
  dropped,
};

std::string to_string(watch_event_kind kind);

/// Where a watcher stands: resuming from it delivers every change after it
/// and nothing before. `incarnation` names one life of the namespace's
/// revision sequence; a cursor of another incarnation (the namespace was
/// recreated, an in-memory service restarted, or changes a watcher saw
/// were not durable) gets cursor_expired rather than misleading events.
struct watch_cursor {
  uint64_t incarnation = 0;
  uint64_t revision = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_cursor& x) {
  return f(caf::meta::type_name("watch_cursor"), x.incarnation, x.revision);
}

/// Returns "REVISION@INCARNATION", the form statekeeper-cli prints and takes.
std::string to_string(const watch_cursor& x);

/// Parses what to_string(watch_cursor) returns. Returns none if `text` is
/// not of that form.
caf::optional<watch_cursor> parse_cursor(const std::string& text);

struct watch_event {
  watch_event_kind kind = watch_event_kind::put;
  /// The cursor after this event: once a watcher has handled this event
  /// and every one before it, resuming from {incarnation, revision} loses
  /// nothing. Snapshot entries carry 0 (resuming mid-snapshot replays the
  /// namespace's whole history, or gets cursor_expired); snapshot_done the
  /// snapshot's revision; a change the revision it belongs to, except that
  /// every event of a revision but its last carries the revision before
  /// (resuming then repeats that revision's events).
  uint64_t revision = 0;
  /// The incarnation of the namespace (see watch_cursor).
  uint64_t incarnation = 0;
  /// put, erase, expire: the key.
  std::string key;
  /// put: the new value; dropped: the reason.
  std::string value;
  /// put: the entry's version; erase, expire, clear: the revision of the
  /// change.
  uint64_t version = 0;
  /// put: the absolute expiry, if any.
  caf::optional<caf::timestamp> expires_at;

  /// Returns where a watcher stands after this event.
  watch_cursor cursor() const { return {incarnation, revision}; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_event& x) {
  return f(caf::meta::type_name("watch_event"), x.kind, x.revision,
           x.incarnation, x.key, x.value, x.version, x.expires_at);
}

/// Events in revision order, read-only and cheap to copy: every watcher
/// that gets the same changes shares one copy of their events. Reads like a
/// const std::vector<watch_event>; crosses the network as one.
class watch_batch {
 public:
  using chunk = std::shared_ptr<const std::vector<watch_event>>;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = watch_event;
    using difference_type = std::ptrdiff_t;
    using pointer = const watch_event*;
    using reference = const watch_event&;

    const_iterator() = default;
    const_iterator(const std::vector<chunk>* chunks, size_t chunk, size_t pos)
        : chunks_(chunks), chunk_(chunk), pos_(pos) {
      // nop
    }
    reference operator*() const { return (*(*chunks_)[chunk_])[pos_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++pos_ == (*chunks_)[chunk_]->size()) {
        ++chunk_;
        pos_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const const_iterator& other) const {
      return chunk_ == other.chunk_ && pos_ == other.pos_;
    }
    bool operator!=(const const_iterator& other) const {
      return !(*this == other);
    }

   private:
    const std::vector<chunk>* chunks_ = nullptr;
    size_t chunk_ = 0;
    size_t pos_ = 0;
  };

  using value_type = watch_event;
  using iterator = const_iterator;

  watch_batch() = default;

  /// A batch of `events`, which it shares with every copy.
  watch_batch(std::vector<watch_event> events); // NOLINT: implicit by design

  /// Appends the events of `other`, sharing them.
  void append(const watch_batch& other);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return {&chunks_, 0, 0}; }
  const_iterator end() const { return {&chunks_, chunks_.size(), 0}; }
  const watch_event& front() const { return chunks_.front()->front(); }
  const watch_event& back() const { return chunks_.back()->back(); }

  /// Returns the events as one vector (a copy).
  std::vector<watch_event> to_vector() const;

  /// Splits off and returns the first events, at least one chunk and at
  /// most `limit` events unless the first chunk alone is larger.
  watch_batch take_front(size_t limit);

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, watch_batch& x) {
    if constexpr (Inspector::reads_state) {
      auto events = x.to_vector();
      return f(caf::meta::type_name("watch_batch"), events);
    } else {
      std::vector<watch_event> events;
      auto load = caf::meta::load_callback([&]() -> caf::error {
        x = watch_batch{std::move(events)};
        return caf::none;
      });
      return f(caf::meta::type_name("watch_batch"), events, load);
    }
  }

 private:
  /// None empty.
  std::vector<chunk> chunks_;
  size_t size_ = 0;
};

/// What a watcher implements: events of the watch `watch_id`, in revision
/// order. Returning from the handler acknowledges the batch.
using watcher_actor =
    caf::typed_actor<caf::reacts_to<event_atom, uint64_t, watch_batch>>;

} // namespace statekeeper
