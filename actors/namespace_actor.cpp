#include "actors/namespace_actor.hpp"


#include "backends/memory_storage.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* namespace_state::name = "statekeeper.namespace";

namespace {

caf::timestamp now() {
  return caf::make_timestamp();
}

const char* persistence_name = "PostgreSQL (its persistence actor)";

/// Fills the keyspace from a snapshot of the database.
caf::error install(namespace_pointer self, const namespace_snapshot& snap) {
  std::vector<change_record> rows;
  rows.reserve(snap.entries.size());
  for (auto& e : snap.entries)
    rows.push_back(
      change_record{change_kind::put, e.key, e.version, e.value, e.expires_at});
  auto store = std::make_shared<memory_store>();
  if (auto err = store->apply(rows, snap.revision))
    return err;
  self->state.space.emplace(std::move(store), self->state.opts.limits);
  return caf::none;
}

/// Loads the namespace if it is not loaded, then calls `done(error)`. The
/// load is awaited: later requests stay queued until it is done.
template <class Done>
void ensure_loaded(namespace_pointer self, Done done) {
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
      [done](caf::error& err) mutable { done(in_our_terms(std::move(err), persistence_name)); });
}

/// Makes staged changes durable as the durability mode says, applies them,
/// then calls `done(error)`.
template <class Done>
void persist_and_apply(namespace_pointer self,
                       std::vector<change_record> changes, Done done) {
  auto& st = self->state;
  if (!st.persistence) {
    done(st.space->apply(changes));
    return;
  }
  persist_batch batch{st.ns, changes, changes.front().version};
  if (st.opts.postgres->mode == durability::async) {
    auto err = st.space->apply(changes);
    if (!err)
      self->send(st.persistence, queue_atom::value, std::move(batch));
    done(std::move(err));
    return;
  }
  self
    ->request(st.persistence, st.opts.postgres->timeout, write_atom::value,
              std::move(batch))
    .await(
      [self, changes = std::move(changes), done](ok_atom) mutable {
        done(self->state.space->apply(changes));
      },
      [self, done](caf::error& err) mutable {
        // The commit may have happened after all (connection lost during
        // COMMIT, or a timeout): re-read the database before serving again.
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
template <class T, class Op>
caf::result<T> run(namespace_pointer self, Op op) {
  auto& st = self->state;
  if (st.space && !st.persistence) {
    // In memory: nothing to wait for, answer directly.
    auto result = op(*st.space, now());
    if (!result)
      return std::move(result.error());
    if (auto staged = st.space->take_staged())
      if (auto err = st.space->apply(*staged))
        return err;
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
  if (caf::actor_cast<caf::actor_addr>(self->current_sender()) == st.router)
    st.draining = false;
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
                     persistence_actor persistence, service_options opts) {
  self->monitor(router);
  self->set_down_handler([self, router](caf::down_msg& msg) {
    if (msg.source == router)
      self->quit(msg.reason);
  });
  auto& st = self->state;
  st.router = router;
  st.ns = std::move(ns);
  st.persistence = std::move(persistence);
  st.opts = std::move(opts);
  if (store)
    st.space.emplace(std::move(store), st.opts.limits);
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
      return run<uint64_t>(self, [key = std::move(key), value = std::move(value),
                                  ttl](ks& k, ts now) mutable {
        return k.put(key, std::move(value), ttl, now);
      });
    },
    [self](create_atom, const namespace_path&, std::string& key,
           std::string& value, ttl_option ttl) {
      return run<uint64_t>(self, [key = std::move(key), value = std::move(value),
                                  ttl](ks& k, ts now) mutable {
        return k.create(key, std::move(value), ttl, now);
      });
    },
    [self](update_atom, const namespace_path&, std::string& key,
           std::string& value, uint64_t expected, ttl_option ttl) {
      return run<uint64_t>(self, [key = std::move(key), value = std::move(value),
                                  expected, ttl](ks& k, ts now) mutable {
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
    [self](put_many_atom, const namespace_path&, std::vector<put_item>& items) {
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
      return run<bool>(
        self, [key, ttl](ks& k, ts now) { return k.expire(key, ttl, now); });
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
    [self](sweep_atom) { sweep(self); },
    [self](drain_atom) -> caf::result<bool> {
      auto& st = self->state;
      if (!st.persistence)
        return !st.space || st.space->revision() == 0;
      st.draining = true;
      if (st.opts.postgres->mode == durability::sync)
        return true; // every write was committed before its reply
      auto rp = self->make_response_promise<bool>();
      self->request(st.persistence, st.opts.postgres->timeout, sync_atom::value)
        .then([rp](ok_atom) mutable { rp.deliver(true); },
              [rp](caf::error&) mutable { rp.deliver(false); });
      return rp;
    },
    [self](retire_atom) { self->quit(); },
  };
}

} // namespace statekeeper
