#include "actors/namespace_watches.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "actors/namespace_durability.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

// Events per message to a watcher, and batches a watcher may have
// unacknowledged; later live events wait in its buffer and go as one batch.
constexpr size_t events_per_batch = 4096;
constexpr uint32_t batches_in_flight = 2;

} // namespace

// The monitor of its watcher goes with its last watch here, as CAF 0.17
// would keep it (and the memory of a watcher that stopped) for as long as
// this actor runs.
bool end_watch(namespace_pointer self, uint64_t id) {
  auto& hub = self->state.hub;
  auto w = hub.find(id);
  if (w == nullptr)
    return false;
  auto who = w->who;
  hub.remove(id);
  report_usage(self, 0, -1);
  if (!hub.watched_by(who.address()))
    self->demonitor(who.address());
  return true;
}

namespace {

void drop_watcher(namespace_pointer self, uint64_t id, std::string why) {
  auto& hub = self->state.hub;
  auto w = hub.find(id);
  if (w == nullptr)
    return;
  // The watcher handles what was sent before this, not what waited in its
  // buffer: it resumes from the last event it was sent.
  watch_event ev;
  ev.kind = watch_event_kind::dropped;
  ev.revision = w->cursor;
  ev.incarnation = self->state.incarnation;
  ev.value = std::move(why);
  self->send(w->who, event_atom::value, id,
             watch_batch{std::vector<watch_event>{ev}});
  end_watch(self, id);
}

void flush_events(namespace_pointer self, watcher_entry& w);

// Sends one batch; live events count against the watcher's lag until it
// acknowledges them.
void send_batch(namespace_pointer self, watcher_entry& w, watch_batch batch,
                bool live) {
  uint64_t n = live ? batch.size() : 0;
  w.cursor = batch.back().revision;
  w.pending += n;
  w.unacked.push_back(std::chrono::steady_clock::now());
  w.heard = true;
  auto id = w.id;
  // No timeout per request (each would be an entry in CAF's clock): the
  // progress round drops watchers whose oldest batch is overdue.
  self->request(w.who, caf::infinite, event_atom::value, id, std::move(batch))
      .then(
          [self, id, n] {
            if (auto w = self->state.hub.find(id)) {
              w->pending -= n;
              w->unacked.pop_front();
              flush_events(self, *w);
            }
          },
          [self, id](caf::error& err) {
            drop_watcher(self, id,
                         "the watcher did not take its events: " +
                             self->home_system().render(err));
          });
}

// Sends `events` in batches of about events_per_batch (a batch of one
// revision's changes is not split).
void send_events(namespace_pointer self, watcher_entry& w, watch_batch events,
                 bool live) {
  while (!events.empty())
    send_batch(self, w, events.take_front(events_per_batch), live);
}

// Sends what waits in the buffer once the watcher has room.
void flush_events(namespace_pointer self, watcher_entry& w) {
  if (w.buffered.empty() || w.unacked.size() >= batches_in_flight)
    return;
  auto events = std::move(w.buffered);
  w.buffered = watch_batch{};
  send_events(self, w, std::move(events), true);
}

// Returns snapshot or replayed `events` of this incarnation, in chunks of
// events_per_batch.
watch_batch in_chunks(namespace_pointer self, std::vector<watch_event> events) {
  watch_batch result;
  for (size_t first = 0; first < events.size(); first += events_per_batch) {
    auto last = std::min(events.size(), first + events_per_batch);
    std::vector<watch_event> chunk(
        std::make_move_iterator(events.begin() + first),
        std::make_move_iterator(events.begin() + last));
    for (auto& ev : chunk)
      ev.incarnation = self->state.incarnation;
    result.append(watch_batch{std::move(chunk)});
  }
  return result;
}

// Progress goes out each sweep-interval while there are watchers.
void schedule_progress(namespace_pointer self) {
  auto& st = self->state;
  if (st.progress_scheduled || st.hub.empty())
    return;
  st.progress_scheduled = true;
  self->delayed_send(self, st.opts.sweep_interval, progress_atom::value);
}

} // namespace

void publish(namespace_pointer self,
             const std::vector<change_record>& changes) {
  self->state.hub.record(changes);
  notify_watchers(self, changes);
}

void notify_watchers(namespace_pointer self,
                     const std::vector<change_record>& changes) {
  auto& st = self->state;
  if (st.hub.empty())
    return;
  st.unsent.insert(st.unsent.end(), changes.begin(), changes.end());
  if (!st.notify_scheduled) {
    st.notify_scheduled = true;
    self->send(self, notify_atom::value);
  }
}

void send_unsent(namespace_pointer self) {
  auto& st = self->state;
  st.notify_scheduled = false;
  if (st.unsent.empty())
    return;
  auto changes = std::move(st.unsent);
  st.unsent.clear();
  st.hub.fan_out(
      changes, st.incarnation,
      [self](watcher_entry& w, const watch_batch& events) {
        auto& hub = self->state.hub;
        if (w.pending + w.buffered.size() + events.size() > hub.max_lag()) {
          drop_watcher(self, w.id,
                       "fell more than " + std::to_string(hub.max_lag()) +
                           " events behind; watch again from the last revision "
                           "you saw");
          return;
        }
        w.buffered.append(events);
        flush_events(self, w);
      });
}

caf::expected<watch_start> prepare_watch(const keyspace& space,
                                         std::vector<std::string> prefixes,
                                         caf::optional<watch_cursor> from,
                                         const watcher_actor& who,
                                         caf::timestamp now) {
  if (!who)
    return make_error(error_code::invalid_argument, "watcher is invalid");
  watch_start start;
  start.prefixes = watch_hub::normalize(std::move(prefixes));
  start.from = from;
  if (from)
    return start;
  // Snapshot entries carry cursor 0: a watcher that stops before
  // snapshot_done resumes from the start of the history.
  auto add = [&](const std::string& key, const stored_entry& e) {
    watch_event ev;
    ev.kind = watch_event_kind::put;
    ev.revision = 0;
    ev.key = key;
    ev.value = e.value;
    ev.version = e.version;
    ev.expires_at = e.expires_at;
    start.snapshot.push_back(std::move(ev));
  };
  if (start.prefixes.empty())
    space.visit_live("", now, add);
  for (auto& p : start.prefixes)
    space.visit_live(p, now, add);
  start.snapshot_revision = space.revision();
  watch_event done;
  done.kind = watch_event_kind::snapshot_done;
  done.revision = start.snapshot_revision;
  start.snapshot.push_back(std::move(done));
  return start;
}

caf::expected<uint64_t> open_watch(namespace_pointer self, watcher_actor who,
                                   watch_start start) {
  auto& st = self->state;
  // Every change up to here is in the history; later ones reach the
  // watcher live.
  auto recorded = durable_revision(st);
  std::vector<watch_event> events;
  uint64_t live_after = start.snapshot_revision;
  if (auto& from = start.from) {
    if (from->incarnation != st.incarnation)
      return make_error(
          error_code::cursor_expired,
          "cursor " + to_string(*from) +
              " is of another incarnation of the namespace (now " +
              std::to_string(st.incarnation) +
              "): it was recreated, or changes seen before were not durable; "
              "watch without a cursor for a snapshot");
    if (from->revision > recorded)
      return make_error(
          error_code::cursor_expired,
          "cursor " + to_string(*from) +
              " is ahead of the namespace, which is at revision " +
              std::to_string(recorded) +
              "; watch without a cursor for a snapshot");
    auto replayed = st.hub.replay(start.prefixes, from->revision);
    if (!replayed)
      return std::move(replayed.error());
    events = std::move(*replayed);
    live_after = recorded;
  } else {
    events = std::move(start.snapshot);
  }
  self->monitor(who);
  auto& w = st.hub.add(std::move(who), std::move(start.prefixes));
  report_usage(self, 0, 1);
  w.cursor = start.from ? start.from->revision : 0;
  w.live_after = live_after;
  auto id = w.id;
  if (!events.empty())
    send_events(self, w, in_chunks(self, std::move(events)), false);
  schedule_progress(self);
  return id;
}

void drop_all_watchers(namespace_pointer self, const std::string& why) {
  send_unsent(self);
  for (auto id : self->state.hub.ids())
    drop_watcher(self, id, why);
}

void on_progress(namespace_pointer self) {
  auto& st = self->state;
  st.progress_scheduled = false;
  // A retired owner has no watchers, and its store may already be its
  // successor's (in memory): it must not read it.
  if (st.retired || gave_up_lapsed(self))
    return;
  schedule_progress(self);
  // Progress must not overtake changes.
  send_unsent(self);
  auto now = std::chrono::steady_clock::now();
  for (auto id : st.hub.ids()) {
    auto w = st.hub.find(id);
    if (!w->unacked.empty() &&
        now - w->unacked.front() > st.opts.watch_ack_timeout)
      drop_watcher(self, id,
                   "the watcher took longer than watch-ack-timeout with a "
                   "batch of events; watch again from the last revision you "
                   "saw");
  }
  if (!st.space)
    return; // not loaded: no revision to tell
  auto revision = durable_revision(st);
  st.hub.idle_watchers([self, revision](watcher_entry& w) {
    watch_event ev;
    ev.kind = watch_event_kind::progress;
    ev.revision = revision;
    ev.incarnation = self->state.incarnation;
    w.cursor = revision;
    self->send(w.who, event_atom::value, w.id,
               watch_batch{std::vector<watch_event>{ev}});
  });
}

} // namespace statekeeper
