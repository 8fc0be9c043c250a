#include "actors/namespace_actor.hpp"

#include "actors/namespace_durability.hpp"
#include "actors/namespace_expiry.hpp"
#include "actors/namespace_watches.hpp"

namespace statekeeper {

const char* namespace_state::name = "statekeeper.namespace";

namespace {

/// The retirement is off: serve and sweep again.
void resume_sweeps(namespace_pointer self) {
  self->state.retired = false;
  if (!self->state.sweeps_on_hold)
    return;
  self->state.sweeps_on_hold = false;
  schedule_sweep(self);
}

} // namespace

namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::string ns, std::shared_ptr<namespace_store> store,
                     persistence_actor persistence, async_backlog_actor backlog,
                     service_options opts,
                     std::shared_ptr<const node_membership> node) {
  // The router stops its owners when it stops (router_state). It does not
  // monitor them the other way round: a monitor taken back walks the
  // router's list of monitors, one per active owner, so each passivation
  // and, at shutdown, each owner would cost time in their number.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal)
      return; // as CAF does by default: not a reason to stop
    // Tell watchers, so that they resume elsewhere instead of waiting.
    drop_all_watchers(self, "the namespace's owner stopped (the service "
                            "is stopping)");
    abandon_commits(self, "the service stopped before the commit was "
                          "acknowledged; it may or may not be durable");
    self->quit(msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    self->state.hub.remove_all(msg.source); // a watcher went away
  });
  auto& st = self->state;
  st.router = router;
  st.ns = std::move(ns);
  st.persistence = std::move(persistence);
  st.backlog = std::move(backlog);
  st.opts = std::move(opts);
  st.node = std::move(node);
  st.hub = watch_hub{st.opts.watch_history, st.opts.watch_max_lag};
  if (store) {
    st.space.emplace(std::move(store), st.opts.limits);
    // A later owner (after a passivation or a crash) gets the entries
    // back, not their history. Each owner of an in-memory namespace is an
    // incarnation of its own: a cursor from before a restart, a
    // passivation or a crash is never taken for one of now.
    st.hub.restore({}, st.space->revision());
    st.incarnation = fresh_incarnation();
  }
  // The first sweep comes no sooner than a sweep-interval from now.
  st.last_sweep = caf::make_timestamp();
  schedule_sweep(self);
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
        // A resume replays committed history only: it opens at once. A
        // snapshot opens once what it saw is committed.
        if (from)
          return run<uint64_t>(
              self,
              [self, prefixes = std::move(prefixes), from,
               who](ks& k, ts now) -> caf::expected<uint64_t> {
                auto start = prepare_watch(k, prefixes, from, who, now);
                if (!start)
                  return std::move(start.error());
                return open_watch(self, who, std::move(*start));
              });
        return run<uint64_t>(
            self,
            [prefixes = std::move(prefixes), from, who](ks& k, ts now) {
              return prepare_watch(k, prefixes, from, who, now);
            },
            [self, who](watch_start start) {
              return open_watch(self, who, std::move(start));
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
      [self](sweep_atom, uint64_t generation) { on_sweep(self, generation); },
      [self](resume_atom) { resume_sweeps(self); },
      [self](progress_atom) { on_progress(self); },
      [self](notify_atom) { send_unsent(self); },
      [self](drain_atom, caf::timestamp used_after) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.hub.empty())
          return false; // watchers keep a namespace active
        if (st.last_request > used_after)
          return false; // in use by callers that reach it directly
        if (st.persistence && !all_durable(st))
          return false; // busy: commits are under way
        // From here on, no request is handled (a caller resolves again,
        // which calls the retirement off with `resume`), and the store is
        // left alone: in memory the engine keeps it for the next owner.
        st.sweeps_on_hold = true;
        st.retired = true;
        if (!st.persistence || st.opts.postgres->mode == durability::sync)
          return true; // and every write is committed
        auto rp = self->make_response_promise<bool>();
        self->request(st.persistence, st.opts.postgres->timeout,
                      sync_atom::value)
            .then(
                // Unless `resume` came meanwhile.
                [self, rp](ok_atom) mutable {
                  rp.deliver(self->state.retired);
                },
                [self, rp](caf::error&) mutable {
                  resume_sweeps(self);
                  rp.deliver(false);
                });
        return rp;
      },
      [self](retire_atom) {
        // Its writes are committed: another node may take it at once.
        auto& st = self->state;
        if (st.epoch != 0)
          self->send(st.persistence, release_atom::value, st.ns, st.epoch);
        self->quit();
      },
  };
}

void report_usage(namespace_pointer self, uint64_t expired, int64_t watchers) {
  auto router = caf::actor_cast<service_router_actor>(self->state.router);
  if (router)
    self->send(router, counted_atom::value, expired, watchers);
}

} // namespace statekeeper
