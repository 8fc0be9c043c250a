#include "actors/watch_hub.hpp"

#include <algorithm>

#include "messages/error.hpp"

namespace statekeeper {

watch_hub::watch_hub(size_t history_limit, uint64_t max_lag)
    : history_limit_(history_limit), max_lag_(max_lag) {
  // nop
}

void watch_hub::restore(std::vector<change_record> history, uint64_t floor) {
  history_.assign(std::make_move_iterator(history.begin()),
                  std::make_move_iterator(history.end()));
  floor_ = floor;
}

void watch_hub::record(const std::vector<change_record>& changes) {
  if (history_limit_ == 0) {
    if (!changes.empty())
      floor_ = changes.back().version;
    return;
  }
  history_.insert(history_.end(), changes.begin(), changes.end());
  // Drop whole revisions, so that the history holds every change above
  // the floor.
  while (history_.size() > history_limit_) {
    auto oldest = history_.front().version;
    while (!history_.empty() && history_.front().version == oldest)
      history_.pop_front();
    floor_ = oldest;
  }
}

caf::expected<std::vector<watch_event>>
watch_hub::replay(const std::vector<std::string>& prefixes,
                  uint64_t from) const {
  if (from < floor_)
    return make_error(error_code::cursor_expired,
                      "revision " + std::to_string(from) +
                          " is older than the namespace's history, which "
                          "starts after revision " +
                          std::to_string(floor_) +
                          "; watch without a cursor for a snapshot");
  std::vector<watch_event> events;
  for (auto& change : history_)
    if (change.version > from && matches(prefixes, change))
      events.push_back(to_event(change));
  set_cursors(events);
  return events;
}

watcher_entry& watch_hub::add(watcher_actor who,
                              std::vector<std::string> prefixes) {
  auto id = next_id_++;
  auto& w = watchers_[id];
  w.id = id;
  w.who = std::move(who);
  w.prefixes = std::move(prefixes);
  return w;
}

bool watch_hub::remove(uint64_t id) {
  return watchers_.erase(id) > 0;
}

size_t watch_hub::remove_all(const caf::actor_addr& addr) {
  size_t removed = 0;
  for (auto i = watchers_.begin(); i != watchers_.end();) {
    if (i->second.who.address() == addr) {
      i = watchers_.erase(i);
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

bool watch_hub::watched_by(const caf::actor_addr& addr) const {
  for (auto& entry : watchers_)
    if (entry.second.who.address() == addr)
      return true;
  return false;
}

watcher_entry* watch_hub::find(uint64_t id) {
  auto i = watchers_.find(id);
  return i != watchers_.end() ? &i->second : nullptr;
}

std::vector<uint64_t> watch_hub::ids() const {
  std::vector<uint64_t> result;
  result.reserve(watchers_.size());
  for (auto& entry : watchers_)
    result.push_back(entry.first);
  return result;
}

void watch_hub::fan_out(
    const std::vector<change_record>& changes, uint64_t incarnation,
    const std::function<void(watcher_entry&, const watch_batch&)>& deliver) {
  std::vector<const change_record*> matched;
  auto events_of_matched = [&] {
    std::vector<watch_event> events;
    events.reserve(matched.size());
    for (auto change : matched) {
      events.push_back(to_event(*change));
      events.back().incarnation = incarnation;
    }
    set_cursors(events);
    return watch_batch{std::move(events)};
  };
  watch_batch everything; // built for the first watcher that matches all
  for (auto i = watchers_.begin(); i != watchers_.end();) {
    auto& w = (i++)->second; // `deliver` may erase `w`, never another
    matched.clear();
    for (auto& change : changes)
      if (change.version > w.live_after && matches(w.prefixes, change))
        matched.push_back(&change);
    if (matched.empty())
      continue;
    if (matched.size() < changes.size()) {
      deliver(w, events_of_matched());
      continue;
    }
    if (everything.empty())
      everything = events_of_matched();
    deliver(w, everything);
  }
}

void watch_hub::idle_watchers(const std::function<void(watcher_entry&)>& f) {
  for (auto& entry : watchers_) {
    auto& w = entry.second;
    // Events waiting in the buffer are older than the current revision: a
    // progress event now would overtake them.
    if (!w.heard && w.buffered.empty())
      f(w);
    w.heard = false;
  }
}

std::vector<std::string>
watch_hub::normalize(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  std::vector<std::string> result;
  for (auto& p : prefixes) {
    if (p.empty())
      return {}; // the empty prefix covers every key
    if (!result.empty() &&
        p.compare(0, result.back().size(), result.back()) == 0)
      continue;
    result.push_back(std::move(p));
  }
  return result;
}

bool watch_hub::matches(const std::vector<std::string>& prefixes,
                        const change_record& change) {
  if (prefixes.empty() || change.kind == change_kind::clear)
    return true;
  for (auto& p : prefixes)
    if (change.key.compare(0, p.size(), p) == 0)
      return true;
  return false;
}

void watch_hub::set_cursors(std::vector<watch_event>& events) {
  for (size_t i = 0; i + 1 < events.size(); ++i)
    if (events[i + 1].version == events[i].version)
      events[i].revision = events[i].version - 1;
}

watch_event watch_hub::to_event(const change_record& change) {
  watch_event ev;
  ev.revision = change.version;
  ev.version = change.version;
  ev.key = change.key;
  switch (change.kind) {
  case change_kind::put:
    ev.kind = watch_event_kind::put;
    ev.value = change.value;
    ev.expires_at = change.expires_at;
    break;
  case change_kind::erase:
    ev.kind = watch_event_kind::erase;
    break;
  case change_kind::expire:
    ev.kind = watch_event_kind::expire;
    break;
  case change_kind::clear:
    ev.kind = watch_event_kind::clear;
    break;
  }
  return ev;
}

} // namespace statekeeper
