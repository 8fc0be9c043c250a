#include "actors/router_actor.hpp"

#include <algorithm>
#include <set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/async_backlog.hpp"
#include "actors/namespace_actor.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/timer_actor.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* router_state::name = "statekeeper.router";

namespace {

const persistence_actor& persistence_of(router_pointer self,
                                        const std::string& name) {
  auto& all = self->state.persistence;
  return all[std::hash<std::string>{}(name) % all.size()];
}

caf::expected<namespace_actor> activate(router_pointer self,
                                        const namespace_path& ns,
                                        const std::string& name) {
  auto& st = self->state;
  std::shared_ptr<namespace_store> store;
  persistence_actor persistence;
  if (st.engine) {
    try {
      store = st.engine->open(ns, name);
    } catch (const std::exception& ex) {
      return make_error(error_code::storage_unavailable,
                        "cannot open namespace \"" + name + "\": " + ex.what());
    }
  } else {
    persistence = persistence_of(self, name);
  }
  auto router = self->address();
  auto owner =
      st.opts.pin_namespaces
          ? self->spawn<caf::detached>(namespace_actor_impl, router, name,
                                       std::move(store), persistence,
                                       st.backlog, st.opts)
          : self->spawn(namespace_actor_impl, router, name, std::move(store),
                        persistence, st.backlog, st.opts);
  self->monitor(owner);
  st.names.emplace(owner.address(), name);
  auto now = caf::make_timestamp();
  st.owners.emplace(name, router_state::owner{ns, owner, now, now, false});
  return owner;
}

/// Passivation, step 1: ask the owner to drain. Step 2 follows its reply,
/// and only if nothing was forwarded to it meanwhile: every message the
/// owner got from the router is then handled, its writes are durable, and
/// the next owner of the namespace loads all of them.
void passivate(router_pointer self, const std::string& name) {
  auto& st = self->state;
  auto i = st.owners.find(name);
  if (i == st.owners.end() || i->second.draining)
    return;
  i->second.draining = true;
  auto handle = i->second.handle;
  self->request(handle, st.opts.internal_timeout, drain_atom::value)
      .then(
          [self, name, handle](bool may_retire) {
            auto& st = self->state;
            auto i = st.owners.find(name);
            if (i == st.owners.end() || i->second.handle != handle ||
                !i->second.draining)
              return; // used meanwhile, or gone
            i->second.draining = false;
            if (!may_retire) {
              i->second.last_used = caf::make_timestamp();
              return;
            }
            st.names.erase(handle.address());
            st.owners.erase(i);
            if (st.engine)
              st.engine->release(name);
            self->send(handle, retire_atom::value);
          },
          [self, name](caf::error&) {
            auto i = self->state.owners.find(name);
            if (i != self->state.owners.end())
              i->second.draining = false;
          });
}

/// Passivates the least recently used owners beyond max_active_namespaces.
void passivate_beyond_limit(router_pointer self) {
  auto& st = self->state;
  auto limit = st.opts.max_active_namespaces;
  if (limit == 0 || st.owners.size() <= limit)
    return;
  std::vector<std::pair<caf::timestamp, std::string>> by_use;
  for (auto& kvp : st.owners)
    if (!kvp.second.draining)
      by_use.emplace_back(kvp.second.last_used, kvp.first);
  // Owners already draining are on their way out: only the others count.
  if (by_use.size() <= limit)
    return;
  auto excess = by_use.size() - limit;
  std::partial_sort(by_use.begin(), by_use.begin() + excess, by_use.end());
  for (size_t i = 0; i < excess; ++i)
    passivate(self, by_use[i].second);
}

/// Passivates owners idle for longer than passivate_after.
void passivate_idle(router_pointer self) {
  auto& st = self->state;
  auto cutoff = caf::make_timestamp() - st.opts.passivate_after;
  std::vector<std::string> idle;
  for (auto& kvp : st.owners)
    if (!kvp.second.draining && kvp.second.last_used < cutoff)
      idle.push_back(kvp.first);
  for (auto& name : idle)
    passivate(self, name);
  passivate_beyond_limit(self);
}

/// Returns the owner of `ns`, spawning it on first use.
caf::expected<namespace_actor> owner_of(router_pointer self,
                                        const namespace_path& ns) {
  auto& st = self->state;
  if (auto err = validate_namespace(ns))
    return err;
  auto name = render(ns);
  if (name.size() > st.opts.limits.max_namespace_bytes)
    return make_error(error_code::limit_exceeded,
                      "namespace is " + std::to_string(name.size()) +
                          " bytes rendered, limit is " +
                          std::to_string(st.opts.limits.max_namespace_bytes) +
                          " (max-namespace-bytes)");
  auto i = st.owners.find(name);
  if (i != st.owners.end()) {
    i->second.last_used = caf::make_timestamp();
    i->second.draining = false;
    return i->second.handle;
  }
  auto owner = activate(self, ns, name);
  if (owner)
    passivate_beyond_limit(self);
  return owner;
}

/// Forwards one operation to the owner of `ns`; the owner replies directly
/// to the original sender.
template <class Reply, class Atom, class... Ts>
caf::result<Reply> forward(router_pointer self, Atom atom, namespace_path& ns,
                           Ts&&... xs) {
  auto owner = owner_of(self, ns);
  if (!owner)
    return std::move(owner.error());
  return self->delegate(*owner, atom, std::move(ns), std::forward<Ts>(xs)...);
}

const char* helper_name = "a namespace or persistence actor";

/// Sends `xs...` to every target and folds the replies into `acc` with
/// `fold(acc, reply)`; delivers `finish(acc)` once all replied, or the first
/// error.
template <class Reply, class Result, class Acc, class Target, class Fold,
          class Finish, class... Ts>
caf::result<Result> fan_out(router_pointer self, std::vector<Target> targets,
                            Acc acc, Fold fold, Finish finish, Ts... xs) {
  if (targets.empty())
    return finish(acc);
  auto rp = self->make_response_promise<Result>();
  struct gather {
    size_t pending;
    Acc acc;
  };
  auto g = std::make_shared<gather>(gather{targets.size(), std::move(acc)});
  for (auto& target : targets)
    self->request(target, self->state.opts.internal_timeout, xs...)
        .then(
            [rp, g, fold, finish](Reply& reply) mutable {
              fold(g->acc, reply);
              if (--g->pending == 0 && rp.pending())
                rp.deliver(finish(g->acc));
            },
            [rp](caf::error& err) mutable {
              if (rp.pending())
                rp.deliver(in_our_terms(std::move(err), helper_name));
            });
  return rp;
}

using namespace_list = std::vector<namespace_path>;

/// Starts from `found` (what the database knows, or nothing) and asks each
/// owner about its own namespace: a live entry adds it, none removes it. An
/// owner that stopped meanwhile (passivated) leaves `found` as it was.
/// Delivers the result sorted.
void ask_owners(router_pointer self,
                caf::typed_response_promise<namespace_list> rp,
                std::vector<router_state::owner> owners,
                std::set<namespace_path> found) {
  struct gather {
    size_t pending;
    std::set<namespace_path> found;
  };
  auto finish = [](const std::set<namespace_path>& xs) {
    return namespace_list(xs.begin(), xs.end());
  };
  if (owners.empty()) {
    rp.deliver(finish(found));
    return;
  }
  auto g = std::make_shared<gather>(gather{owners.size(), std::move(found)});
  auto done = [rp, g, finish]() mutable {
    if (--g->pending == 0 && rp.pending())
      rp.deliver(finish(g->found));
  };
  for (auto& owner : owners)
    self->request(owner.handle, self->state.opts.internal_timeout,
                  ns_exists_atom::value, owner.ns)
        .then(
            [g, done, ns = owner.ns](bool exists) mutable {
              if (exists)
                g->found.insert(ns);
              else
                g->found.erase(ns);
              done();
            },
            [done](caf::error&) mutable { done(); });
}

/// Every namespace at or under `prefix` that holds a live entry: the
/// database's answer (with PostgreSQL), corrected by the active owners,
/// whose latest (async) writes may not be committed yet.
caf::result<namespace_list> list_namespaces(router_pointer self,
                                            const namespace_path& prefix) {
  bool everything = prefix.tenant.empty() && prefix.scopes.empty();
  if (!everything)
    if (auto err = validate_namespace(prefix))
      return err;
  auto& st = self->state;
  std::vector<router_state::owner> owners;
  for (auto& kvp : st.owners)
    if (is_within(kvp.second.ns, prefix))
      owners.push_back(kvp.second);
  if (owners.empty() && st.persistence.empty())
    return namespace_list{};
  auto rp = self->make_response_promise<namespace_list>();
  if (st.persistence.empty()) {
    ask_owners(self, rp, std::move(owners), {});
    return rp;
  }
  self->request(st.persistence.front(), st.opts.internal_timeout,
                list_ns_atom::value,
                everything ? std::string{} : render(prefix))
      .then(
          [self, rp, owners](std::vector<std::string>& stored) mutable {
            std::set<namespace_path> found;
            for (auto& name : stored)
              if (auto ns = parse_namespace(name))
                found.insert(std::move(*ns));
            ask_owners(self, rp, std::move(owners), std::move(found));
          },
          [rp](caf::error& err) mutable {
            if (rp.pending())
              rp.deliver(in_our_terms(std::move(err), helper_name));
          });
  return rp;
}

} // namespace

service_router_actor::behavior_type
router_actor_impl(router_pointer self, service_options opts,
                  std::shared_ptr<storage_engine> engine) {
  self->state.opts = opts;
  self->state.engine = std::move(engine);
  if (opts.postgres) {
    if (opts.postgres->mode == durability::async)
      self->state.backlog = self->spawn<caf::linked>(
          async_backlog_impl, opts.postgres->async_max_pending);
    // Detached: libpqxx blocks. Linked: they stop with the router, after
    // committing what they hold (see persistence_actor_impl).
    for (size_t i = 0; i < opts.postgres->connections; ++i)
      self->state.persistence.push_back(
          self->spawn<caf::detached + caf::linked>(
              persistence_actor_impl, *opts.postgres, self->state.backlog));
  }
  self->state.timer =
      self->spawn(timer_actor_impl, caf::actor_cast<service_router_actor>(self),
                  opts.sweep_interval);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto i = st.names.find(msg.source);
    if (i == st.names.end())
      return;
    auto name = std::move(i->second);
    st.names.erase(i);
    auto j = st.owners.find(name);
    if (j == st.owners.end())
      return;
    auto ns = std::move(j->second.ns);
    auto age = caf::make_timestamp() - j->second.spawned;
    st.owners.erase(j);
    CAF_LOG_WARNING("namespace owner" << name << "stopped:" << msg.reason);
    // In memory, respawn at once: the engine still holds the namespace's
    // data, and a namespace without owner would be missing from
    // list_namespaces. Not an owner that died young, though: it would
    // likely die again, in a loop; its next request respawns it.
    // With PostgreSQL the next request loads it again.
    if (!st.engine || age < std::chrono::seconds{1})
      return;
    if (auto respawned = activate(self, ns, name); !respawned)
      CAF_LOG_ERROR("cannot respawn" << name << ":" << respawned.error());
  });
  return {
      [self](get_atom a, namespace_path& ns, std::string& key) {
        return forward<caf::optional<entry>>(self, a, ns, std::move(key));
      },
      [self](contains_atom a, namespace_path& ns, std::string& key) {
        return forward<bool>(self, a, ns, std::move(key));
      },
      [self](put_atom a, namespace_path& ns, std::string& key,
             std::string& value, ttl_option ttl) {
        return forward<uint64_t>(self, a, ns, std::move(key), std::move(value),
                                 ttl);
      },
      [self](create_atom a, namespace_path& ns, std::string& key,
             std::string& value, ttl_option ttl) {
        return forward<uint64_t>(self, a, ns, std::move(key), std::move(value),
                                 ttl);
      },
      [self](update_atom a, namespace_path& ns, std::string& key,
             std::string& value, uint64_t expected, ttl_option ttl) {
        return forward<uint64_t>(self, a, ns, std::move(key), std::move(value),
                                 expected, ttl);
      },
      [self](erase_atom a, namespace_path& ns, std::string& key) {
        return forward<bool>(self, a, ns, std::move(key));
      },
      [self](erase_if_atom a, namespace_path& ns, std::string& key,
             uint64_t expected) {
        return forward<bool>(self, a, ns, std::move(key), expected);
      },
      [self](get_many_atom a, namespace_path& ns,
             std::vector<std::string>& keys) {
        return forward<std::vector<entry>>(self, a, ns, std::move(keys));
      },
      [self](put_many_atom a, namespace_path& ns,
             std::vector<put_item>& items) {
        return forward<std::vector<uint64_t>>(self, a, ns, std::move(items));
      },
      [self](erase_many_atom a, namespace_path& ns,
             std::vector<std::string>& keys) {
        return forward<uint64_t>(self, a, ns, std::move(keys));
      },
      [self](expire_atom a, namespace_path& ns, std::string& key,
             caf::timespan ttl) {
        return forward<bool>(self, a, ns, std::move(key), ttl);
      },
      [self](persist_atom a, namespace_path& ns, std::string& key) {
        return forward<bool>(self, a, ns, std::move(key));
      },
      [self](list_keys_atom a, namespace_path& ns, std::string& prefix,
             std::string& after, uint32_t limit) {
        return forward<key_page>(self, a, ns, std::move(prefix),
                                 std::move(after), limit);
      },
      [self](scan_atom a, namespace_path& ns, std::string& prefix,
             std::string& after, uint32_t limit) {
        return forward<entry_page>(self, a, ns, std::move(prefix),
                                   std::move(after), limit);
      },
      [self](key_count_atom a, namespace_path& ns) {
        return forward<uint64_t>(self, a, ns);
      },
      [self](watch_atom a, namespace_path& ns,
             std::vector<std::string>& prefixes,
             caf::optional<watch_cursor> from, watcher_actor& who) {
        return forward<uint64_t>(self, a, ns, std::move(prefixes), from,
                                 std::move(who));
      },
      [self](unwatch_atom a, namespace_path& ns, uint64_t id) {
        return forward<bool>(self, a, ns, id);
      },
      [self](txn_atom a, namespace_path& ns, std::vector<txn_compare>& compares,
             std::vector<txn_op>& on_success, std::vector<txn_op>& on_failure) {
        return forward<txn_result>(self, a, ns, std::move(compares),
                                   std::move(on_success),
                                   std::move(on_failure));
      },
      [self](ns_exists_atom a, namespace_path& ns) -> caf::result<bool> {
        auto& st = self->state;
        // An inactive namespace is answered by the database, not loaded.
        if (!st.persistence.empty() && validate_namespace(ns) == caf::none) {
          auto name = render(ns);
          if (st.owners.count(name) == 0)
            return self->delegate(persistence_of(self, name), a,
                                  std::move(name));
        }
        return forward<bool>(self, a, ns);
      },
      [self](clear_atom a, namespace_path& ns) {
        return forward<uint64_t>(self, a, ns);
      },
      [self](sweep_atom) {
        auto& st = self->state;
        for (auto& kvp : st.owners)
          if (!kvp.second.draining)
            self->send(kvp.second.handle, sweep_atom::value);
        passivate_idle(self);
        // Expired rows of inactive namespaces: one bounded delete per tick.
        if (!st.persistence.empty())
          self->request(st.persistence.front(), st.opts.internal_timeout,
                        purge_atom::value)
              .then([](uint64_t) {}, [](caf::error&) {});
      },
      [self](list_ns_atom, const namespace_path& prefix) {
        return list_namespaces(self, prefix);
      },
      [self](sync_atom) -> caf::result<ok_atom> {
        // In memory every acknowledged write is as durable as it gets; with
        // PostgreSQL, each persistence actor commits what it holds.
        return fan_out<ok_atom, ok_atom>(
            self, self->state.persistence, 0, [](int&, ok_atom) {},
            [](int&) { return ok_atom::value; }, sync_atom::value);
      },
      [self](stats_atom) -> caf::result<service_stats> {
        service_stats init;
        init.active_namespaces = self->state.owners.size();
        return fan_out<persistence_stats, service_stats>(
            self, self->state.persistence, init,
            [](service_stats& acc, const persistence_stats& x) {
              acc.commits += x.commits;
              acc.batches += x.batches;
              acc.commit_failures += x.failures;
            },
            [](service_stats& acc) { return acc; }, stats_atom::value);
      },
  };
}

} // namespace statekeeper
