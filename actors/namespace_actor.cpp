#include "actors/namespace_actor.hpp"

#include <algorithm>
#include <random>

#include "backends/memory/memory_storage.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* namespace_state::name = "statekeeper.namespace";

namespace {

caf::timestamp now() {
  return caf::make_timestamp();
}

const char* persistence_name = "PostgreSQL (its persistence actor)";

// Never 0, which stands for "none yet" in the database.
uint64_t fresh_incarnation() {
  std::random_device source;
  uint64_t result = 0;
  while (result == 0)
    result = (uint64_t{source()} << 32) | source();
  return result;
}

/// Fills the keyspace from a snapshot of the database, taking its contents.
caf::error install(namespace_pointer self, namespace_snapshot& snap) {
  std::vector<change_record> rows;
  rows.reserve(snap.entries.size());
  for (auto& e : snap.entries)
    rows.push_back(change_record{change_kind::put, std::move(e.key), e.version,
                                 std::move(e.value), e.expires_at});
  auto store = std::make_shared<memory_store>();
  if (auto err = store->apply(rows, snap.revision))
    return err;
  auto& st = self->state;
  st.space.emplace(std::move(store), st.opts.limits);
  st.hub.restore(std::move(snap.history), snap.history_floor);
  // Sync durability: a watcher saw only committed changes, so the stored
  // incarnation goes on. Async: what a watcher saw may not have been
  // committed, and its revisions may be handed out again: a new one.
  if (st.opts.postgres->mode == durability::async)
    st.incarnation = fresh_incarnation();
  else if (snap.incarnation != 0)
    st.incarnation = snap.incarnation;
  else if (st.incarnation == 0)
    st.incarnation = fresh_incarnation();
  return caf::none;
}

// -- watches
// ---------------------------------------------------------------------

// Events per message to a watcher, and batches a watcher may have
// unacknowledged; later live events wait in its buffer and go as one batch.
constexpr size_t events_per_batch = 4096;
constexpr uint32_t batches_in_flight = 2;

// Removes the watch `id`; returns whether it existed. The monitor of its
// watcher goes with its last watch here, as CAF 0.17 would keep it (and
// the memory of a watcher that stopped) for as long as this actor runs.
bool end_watch(namespace_pointer self, uint64_t id) {
  auto& hub = self->state.hub;
  auto w = hub.find(id);
  if (w == nullptr)
    return false;
  auto who = w->who;
  hub.remove(id);
  if (!hub.watched_by(who.address()))
    self->demonitor(who.address());
  return true;
}

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
  self->send(w->who, event_atom::value, id, std::vector<watch_event>{ev});
  end_watch(self, id);
}

void flush_events(namespace_pointer self, watcher_entry& w);

// Sends one batch; live events count against the watcher's lag until it
// acknowledges them.
void send_batch(namespace_pointer self, watcher_entry& w,
                std::vector<watch_event> batch, bool live) {
  uint64_t n = live ? batch.size() : 0;
  for (auto& ev : batch)
    ev.incarnation = self->state.incarnation;
  w.cursor = batch.back().revision;
  w.pending += n;
  ++w.batches;
  w.heard = true;
  auto id = w.id;
  self->request(w.who, self->state.opts.watch_ack_timeout, event_atom::value,
                id, std::move(batch))
      .then(
          [self, id, n] {
            if (auto w = self->state.hub.find(id)) {
              w->pending -= n;
              --w->batches;
              flush_events(self, *w);
            }
          },
          [self, id](caf::error& err) {
            drop_watcher(self, id,
                         "the watcher did not take its events: " +
                             self->home_system().render(err));
          });
}

// Sends `events` in batches (snapshots and replays).
void send_events(namespace_pointer self, watcher_entry& w,
                 std::vector<watch_event> events, bool live) {
  for (size_t first = 0; first < events.size(); first += events_per_batch) {
    auto last = std::min(events.size(), first + events_per_batch);
    send_batch(self, w,
               std::vector<watch_event>(
                   std::make_move_iterator(events.begin() + first),
                   std::make_move_iterator(events.begin() + last)),
               live);
  }
}

// Sends what waits in the buffer once the watcher has room.
void flush_events(namespace_pointer self, watcher_entry& w) {
  if (w.buffered.empty() || w.batches >= batches_in_flight)
    return;
  auto events = std::move(w.buffered);
  w.buffered.clear();
  send_events(self, w, std::move(events), true);
}

// Hands the changes of one applied revision to the history and watchers.
void applied(namespace_pointer self,
             const std::vector<change_record>& changes) {
  auto& hub = self->state.hub;
  hub.record(changes);
  hub.fan_out(changes, [self](watcher_entry& w,
                              std::vector<watch_event> events) {
    auto& hub = self->state.hub;
    if (w.pending + w.buffered.size() + events.size() > hub.max_lag()) {
      drop_watcher(self, w.id,
                   "fell more than " + std::to_string(hub.max_lag()) +
                       " events behind; watch again from the last revision "
                       "you saw");
      return;
    }
    w.buffered.insert(w.buffered.end(), std::make_move_iterator(events.begin()),
                      std::make_move_iterator(events.end()));
    flush_events(self, w);
  });
}

// Starts a watch: snapshot or replay first, then live changes (this actor
// handles one message at a time, so nothing falls in between).
caf::expected<uint64_t> start_watch(namespace_pointer self, keyspace& space,
                                    std::vector<std::string> prefixes,
                                    caf::optional<watch_cursor> from,
                                    watcher_actor who, caf::timestamp now) {
  if (!who)
    return make_error(error_code::invalid_argument, "watcher is invalid");
  prefixes = watch_hub::normalize(std::move(prefixes));
  std::vector<watch_event> events;
  if (from) {
    auto incarnation = self->state.incarnation;
    if (from->incarnation != incarnation)
      return make_error(
          error_code::cursor_expired,
          "cursor " + to_string(*from) +
              " is of another incarnation of the namespace (now " +
              std::to_string(incarnation) +
              "): it was recreated, or changes seen before were not durable; "
              "watch without a cursor for a snapshot");
    if (from->revision > space.revision())
      return make_error(
          error_code::cursor_expired,
          "cursor " + to_string(*from) +
              " is ahead of the namespace, which is at revision " +
              std::to_string(space.revision()) +
              "; watch without a cursor for a snapshot");
    auto replayed = self->state.hub.replay(prefixes, from->revision);
    if (!replayed)
      return std::move(replayed.error());
    events = std::move(*replayed);
  } else {
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
      events.push_back(std::move(ev));
    };
    if (prefixes.empty())
      space.visit_live("", now, add);
    for (auto& p : prefixes)
      space.visit_live(p, now, add);
    watch_event done;
    done.kind = watch_event_kind::snapshot_done;
    done.revision = space.revision();
    events.push_back(std::move(done));
  }
  self->monitor(who);
  auto& w = self->state.hub.add(std::move(who), std::move(prefixes));
  w.cursor = from ? from->revision : 0;
  auto id = w.id;
  send_events(self, w, std::move(events), false);
  return id;
}

// Tells watchers that heard nothing since the last tick where the
// namespace is, so that their cursor keeps up with the history.
void send_progress(namespace_pointer self) {
  auto& st = self->state;
  if (!st.space)
    return;
  auto revision = st.space->revision();
  st.hub.idle_watchers([self, revision](watcher_entry& w) {
    watch_event ev;
    ev.kind = watch_event_kind::progress;
    ev.revision = revision;
    ev.incarnation = self->state.incarnation;
    w.cursor = revision;
    self->send(w.who, event_atom::value, w.id, std::vector<watch_event>{ev});
  });
}

/// Loads the namespace if it is not loaded, then calls `done(error)`. The
/// load is awaited: later requests stay queued until it is done.
template <class Done> void ensure_loaded(namespace_pointer self, Done done) {
  auto& st = self->state;
  if (st.space) {
    done(caf::error{});
    return;
  }
  self->request(st.persistence, st.opts.postgres->timeout, load_atom::value,
                st.ns)
      .await(
          [self, done](namespace_snapshot& snap) mutable {
            done(install(self, snap));
          },
          [done](caf::error& err) mutable {
            done(in_our_terms(std::move(err), persistence_name));
          });
}

/// Makes staged changes durable as the durability mode says, applies them,
/// then calls `done(error)`.
template <class Done>
void persist_and_apply(namespace_pointer self,
                       std::vector<change_record> changes, Done done) {
  auto& st = self->state;
  if (!st.persistence) {
    auto err = st.space->apply(changes);
    if (!err)
      applied(self, changes);
    done(std::move(err));
    return;
  }
  persist_batch batch{st.ns, changes, changes.front().version, st.hub.floor(),
                      st.incarnation};
  if (st.opts.postgres->mode == durability::async) {
    // Acknowledged only once the backlog has room for it: what a crash can
    // lose stays within async-max-pending.
    uint64_t records = changes.size();
    self->request(st.backlog, st.opts.postgres->timeout, admit_atom::value,
                  records)
        .await(
            [self, changes = std::move(changes), batch = std::move(batch),
             records, done](ok_atom) mutable {
              auto& st = self->state;
              auto err = st.space->apply(changes);
              if (!err) {
                self->send(st.persistence, queue_atom::value, std::move(batch));
                applied(self, changes);
              } else {
                self->send(st.backlog, release_atom::value, records);
              }
              done(std::move(err));
            },
            [done](caf::error&) mutable {
              done(make_error(
                  error_code::storage_unavailable,
                  "PostgreSQL is not committing fast enough: the "
                  "async backlog (async-max-pending) stayed full for "
                  "the postgres timeout; nothing was written"));
            });
    return;
  }
  self->request(st.persistence, st.opts.postgres->timeout, write_atom::value,
                std::move(batch))
      .await(
          [self, changes = std::move(changes), done](ok_atom) mutable {
            auto err = self->state.space->apply(changes);
            if (!err)
              applied(self, changes);
            done(std::move(err));
          },
          [self, done](caf::error& err) mutable {
            // storage_unavailable from the persistence actor: not committed,
            // and what this actor holds is still what is committed, so
            // reads go on. Anything else (connection lost during COMMIT, no
            // answer in time) may have committed after all: re-read the
            // database before serving again.
            if (!has_code(err, error_code::storage_unavailable))
              self->state.space.reset();
            done(in_our_terms(std::move(err), persistence_name));
          });
}

/// Delivers `result` through `rp` once what the operation staged is applied
/// (and durable, with sync persistence).
template <class T>
void finish(namespace_pointer self, caf::typed_response_promise<T> rp,
            caf::expected<T> result) {
  if (!result) {
    rp.deliver(std::move(result.error()));
    return;
  }
  auto staged = self->state.space->take_staged();
  if (!staged) {
    rp.deliver(std::move(*result));
    return;
  }
  persist_and_apply(self, std::move(*staged),
                    [rp, value = std::move(*result)](caf::error err) mutable {
                      if (err)
                        rp.deliver(std::move(err));
                      else
                        rp.deliver(std::move(value));
                    });
}

/// Runs `op(keyspace, now)` and answers with its result once whatever it
/// changed is applied (and durable, with sync persistence).
template <class T, class Op> caf::result<T> run(namespace_pointer self, Op op) {
  auto& st = self->state;
  if (st.space && !st.persistence) {
    // In memory: nothing to wait for, answer directly.
    auto result = op(*st.space, now());
    if (!result)
      return std::move(result.error());
    if (auto staged = st.space->take_staged()) {
      if (auto err = st.space->apply(*staged))
        return err;
      applied(self, *staged);
    }
    return std::move(*result);
  }
  auto rp = self->make_response_promise<T>();
  ensure_loaded(self, [self, rp, op](caf::error err) mutable {
    if (err)
      rp.deliver(std::move(err));
    else
      finish<T>(self, rp, op(*self->state.space, now()));
  });
  return rp;
}

void sweep(namespace_pointer self) {
  auto& st = self->state;
  if (caf::actor_cast<caf::actor_addr>(self->current_sender()) == st.router) {
    st.draining = false;
    send_progress(self); // once per tick, not per continued sweep
  }
  if (!st.space || st.draining)
    return; // not loaded: the database purges it
  auto swept = st.space->sweep(now(), st.opts.sweep_batch);
  auto staged = st.space->take_staged();
  if (!swept || !staged)
    return;
  persist_and_apply(self, std::move(*staged), [self](caf::error err) {
    // On failure the next tick retries; reads already hide expired entries.
    // More expired entries than one batch: continue after the requests
    // that are already waiting, instead of blocking them.
    if (!err && self->state.space && self->state.space->needs_sweep(now()))
      self->send(self, sweep_atom::value);
  });
}

} // namespace

namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::string ns, std::shared_ptr<namespace_store> store,
                     persistence_actor persistence, async_backlog_actor backlog,
                     service_options opts) {
  self->monitor(router);
  // CAF 0.17 keeps a monitor on the router until the router stops, and
  // with it this actor's memory: take it back when this owner stops.
  self->attach_functor([self, router] { self->demonitor(router); });
  self->set_down_handler([self, router](caf::down_msg& msg) {
    if (msg.source == router) {
      // Tell watchers, so that they resume elsewhere instead of waiting.
      for (auto id : self->state.hub.ids())
        drop_watcher(self, id,
                     "the namespace's owner stopped (the service "
                     "is stopping)");
      self->quit(msg.reason);
    } else
      self->state.hub.remove_all(msg.source); // a watcher went away
  });
  auto& st = self->state;
  st.router = router;
  st.ns = std::move(ns);
  st.persistence = std::move(persistence);
  st.backlog = std::move(backlog);
  st.opts = std::move(opts);
  st.hub = watch_hub{st.opts.watch_history, st.opts.watch_max_lag};
  if (store) {
    st.space.emplace(std::move(store), st.opts.limits);
    // A respawned owner gets its entries back, not their history. Each
    // owner of an in-memory namespace is an incarnation of its own: a
    // cursor from before a restart (or a crash) is never taken for one of
    // now.
    st.hub.restore({}, st.space->revision());
    st.incarnation = fresh_incarnation();
  }
  using ks = keyspace;
  using ts = caf::timestamp;
  return {
      [self](get_atom, const namespace_path&, std::string& key) {
        return run<caf::optional<entry>>(
            self, [key](ks& k, ts now) { return k.get(key, now); });
      },
      [self](contains_atom, const namespace_path&, std::string& key) {
        return run<bool>(self,
                         [key](ks& k, ts now) { return k.contains(key, now); });
      },
      [self](put_atom, const namespace_path&, std::string& key,
             std::string& value, ttl_option ttl) {
        return run<uint64_t>(self,
                             [key = std::move(key), value = std::move(value),
                              ttl](ks& k, ts now) mutable {
                               return k.put(key, std::move(value), ttl, now);
                             });
      },
      [self](create_atom, const namespace_path&, std::string& key,
             std::string& value, ttl_option ttl) {
        return run<uint64_t>(self,
                             [key = std::move(key), value = std::move(value),
                              ttl](ks& k, ts now) mutable {
                               return k.create(key, std::move(value), ttl, now);
                             });
      },
      [self](update_atom, const namespace_path&, std::string& key,
             std::string& value, uint64_t expected, ttl_option ttl) {
        return run<uint64_t>(self, [key = std::move(key),
                                    value = std::move(value), expected,
                                    ttl](ks& k, ts now) mutable {
          return k.update(key, std::move(value), expected, ttl, now);
        });
      },
      [self](erase_atom, const namespace_path&, std::string& key) {
        return run<bool>(self,
                         [key](ks& k, ts now) { return k.erase(key, now); });
      },
      [self](erase_if_atom, const namespace_path&, std::string& key,
             uint64_t expected) {
        return run<bool>(self, [key, expected](ks& k, ts now) {
          return k.erase_if(key, expected, now);
        });
      },
      [self](get_many_atom, const namespace_path&,
             std::vector<std::string>& keys) {
        return run<std::vector<entry>>(
            self, [keys](ks& k, ts now) { return k.get_many(keys, now); });
      },
      [self](put_many_atom, const namespace_path&,
             std::vector<put_item>& items) {
        return run<std::vector<uint64_t>>(
            self, [items = std::move(items)](ks& k, ts now) mutable {
              return k.put_many(std::move(items), now);
            });
      },
      [self](erase_many_atom, const namespace_path&,
             std::vector<std::string>& keys) {
        return run<uint64_t>(
            self, [keys](ks& k, ts now) { return k.erase_many(keys, now); });
      },
      [self](expire_atom, const namespace_path&, std::string& key,
             caf::timespan ttl) {
        return run<bool>(self, [key, ttl](ks& k, ts now) {
          return k.expire(key, ttl, now);
        });
      },
      [self](persist_atom, const namespace_path&, std::string& key) {
        return run<bool>(self,
                         [key](ks& k, ts now) { return k.persist(key, now); });
      },
      [self](list_keys_atom, const namespace_path&, std::string& prefix,
             std::string& after, uint32_t limit) {
        return run<key_page>(self, [prefix, after, limit](ks& k, ts now) {
          return k.list_keys(prefix, after, limit, now);
        });
      },
      [self](scan_atom, const namespace_path&, std::string& prefix,
             std::string& after, uint32_t limit) {
        return run<entry_page>(self, [prefix, after, limit](ks& k, ts now) {
          return k.scan(prefix, after, limit, now);
        });
      },
      [self](key_count_atom, const namespace_path&) {
        return run<uint64_t>(self, [](ks& k, ts now) {
          return caf::expected<uint64_t>{k.key_count(now)};
        });
      },
      [self](ns_exists_atom, const namespace_path&) {
        return run<bool>(self, [](ks& k, ts now) {
          return caf::expected<bool>{k.key_count(now) > 0};
        });
      },
      [self](clear_atom, const namespace_path&) {
        return run<uint64_t>(self, [](ks& k, ts now) { return k.clear(now); });
      },
      [self](watch_atom, const namespace_path&,
             std::vector<std::string>& prefixes,
             caf::optional<watch_cursor> from, watcher_actor& who) {
        return run<uint64_t>(self, [self, prefixes = std::move(prefixes), from,
                                    who = std::move(who)](ks& k, ts now) {
          return start_watch(self, k, prefixes, from, who, now);
        });
      },
      [self](unwatch_atom, const namespace_path&, uint64_t id) {
        return end_watch(self, id);
      },
      [self](txn_atom, const namespace_path& ns,
             std::vector<txn_compare>& compares,
             std::vector<txn_op>& on_success, std::vector<txn_op>& on_failure) {
        return run<txn_result>(
            self, [ns, compares = std::move(compares),
                   on_success = std::move(on_success),
                   on_failure = std::move(on_failure)](ks& k, ts now) {
              return k.txn(ns, compares, on_success, on_failure, now);
            });
      },
      [self](sweep_atom) { sweep(self); },
      [self](drain_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.hub.empty())
          return false; // watchers keep a namespace active
        if (!st.persistence)
          return !st.space || st.space->revision() == 0;
        st.draining = true;
        if (st.opts.postgres->mode == durability::sync)
          return true; // every write was committed before its reply
        auto rp = self->make_response_promise<bool>();
        self->request(st.persistence, st.opts.postgres->timeout,
                      sync_atom::value)
            .then([rp](ok_atom) mutable { rp.deliver(true); },
                  [rp](caf::error&) mutable { rp.deliver(false); });
        return rp;
      },
      [self](retire_atom) { self->quit(); },
  };
}

} // namespace statekeeper
