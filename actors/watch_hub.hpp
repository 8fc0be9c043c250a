// The watches of one namespace: its bounded change history and its
// watchers, each with its key prefixes and how many events it has not
// acknowledged yet. Owned by the namespace actor, which sends the events;
// this class only decides who gets what. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>

#include "messages/change.hpp"
#include "messages/watch.hpp"

namespace statekeeper {

struct watcher_entry {
  uint64_t id = 0;
  watcher_actor who;
  /// Sorted, none the prefix of another; empty: every key.
  std::vector<std::string> prefixes;
  /// Live events sent and not acknowledged yet.
  uint64_t pending = 0;
  /// When each batch sent and not acknowledged yet was sent, oldest first
  /// (a steady clock: setting the system clock drops no watcher).
  std::deque<std::chrono::steady_clock::time_point> unacked;
  /// Live events waiting for an acknowledgement before they are sent: a
  /// watcher has few batches in flight, so events coalesce under load.
  watch_batch buffered;
  /// Whether the watcher got an event since the last progress round.
  bool heard = false;
  /// The cursor of the last event sent: where a dropped watcher resumes.
  uint64_t cursor = 0;
  /// Changes up to this revision reached the watcher before it was added
  /// (in its snapshot or replay): live, it gets only later ones.
  uint64_t live_after = 0;
};

class watch_hub {
 public:
  /// Keeps at most `history_limit` change records (whole revisions are
  /// dropped, oldest first) and drops a watcher more than `max_lag` live
  /// events behind.
  watch_hub(size_t history_limit, uint64_t max_lag);

  /// Starts the history over: changes above `floor`, in order.
  void restore(std::vector<change_record> history, uint64_t floor);

  /// Every change above this revision is in the history.
  uint64_t floor() const { return floor_; }

  /// Appends the changes of one applied revision to the history.
  void record(const std::vector<change_record>& changes);

  /// Returns the history's changes after revision `from` that match
  /// `prefixes`, as events. Errors: cursor_expired if the history does not
  /// reach back to `from`.
  caf::expected<std::vector<watch_event>>
  replay(const std::vector<std::string>& prefixes, uint64_t from) const;

  /// Registers a watcher; returns its entry (with a fresh id).
  watcher_entry& add(watcher_actor who, std::vector<std::string> prefixes);

  /// Removes a watch; returns whether it existed.
  bool remove(uint64_t id);

  /// Removes every watch of the actor at `addr`; returns how many.
  size_t remove_all(const caf::actor_addr& addr);

  /// Returns true if the actor at `addr` has a watch here.
  bool watched_by(const caf::actor_addr& addr) const;

  /// Returns the watch `id`, or nullptr.
  watcher_entry* find(uint64_t id);

  /// Returns the ids of every watch.
  std::vector<uint64_t> ids() const;

  bool empty() const { return watchers_.empty(); }

  /// Calls `deliver(watcher, events)` for each watcher with the events of
  /// `changes` it matches (at most one call per watcher), of namespace
  /// incarnation `incarnation`. Watchers that match every change share one
  /// batch. `deliver` may remove the watcher it was called for.
  void fan_out(
      const std::vector<change_record>& changes, uint64_t incarnation,
      const std::function<void(watcher_entry&, const watch_batch&)>& deliver);

  /// Calls `f` for each watcher that heard nothing since the last call and
  /// has no events waiting, then starts a new round.
  void idle_watchers(const std::function<void(watcher_entry&)>& f);

  uint64_t max_lag() const { return max_lag_; }

  /// Sorts `prefixes` and drops those another prefix already covers.
  static std::vector<std::string> normalize(std::vector<std::string> prefixes);

  /// Returns the event that tells of `change`.
  static watch_event to_event(const change_record& change);

  /// Gives every event of `events` (changes, in revision order) but the last
  /// of its revision the revision before as its cursor, so that resuming
  /// from any event's cursor loses nothing.
  static void set_cursors(std::vector<watch_event>& events);

 private:
  static bool matches(const std::vector<std::string>& prefixes,
                      const change_record& change);

  size_t history_limit_;
  uint64_t max_lag_;
  std::deque<change_record> history_;
  uint64_t floor_ = 0;
  /// By id: lookups on every acknowledgement stay cheap, and erasing one
  /// watch while visiting the others leaves them in place.
  std::map<uint64_t, watcher_entry> watchers_;
  uint64_t next_id_ = 1;
};

} // namespace statekeeper
