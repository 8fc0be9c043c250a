#include "actors/placement.hpp"

#include <algorithm>
#include <list>
#include <utility>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/log.hpp"
#include "actors/membership.hpp"
#include "actors/namespace_actor.hpp"
#include "actors/router_actor.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

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
                                       st.backlog, st.opts, st.node)
          : self->spawn(namespace_actor_impl, router, name, std::move(store),
                        persistence, st.backlog, st.opts, st.node);
  self->monitor(owner);
  ++st.active.activations;
  st.active.names.emplace(owner.address(), name);
  auto now = caf::make_timestamp();
  placement::owner entry;
  entry.ns = ns;
  entry.handle = owner;
  entry.last_used = now;
  entry.use_order = st.active.by_use.insert(st.active.by_use.end(), name);
  st.active.owners.emplace(name, std::move(entry));
  return owner;
}

/// Marks `owner` (of namespace `name`) retiring: out of the order of use.
void start_retiring(placement& active, placement::owner& owner) {
  owner.retiring = true;
  active.by_use.erase(owner.use_order);
}

/// Calls the retirement of `owner` off: it was used just now.
void stop_retiring(placement& active, const std::string& name,
                   placement::owner& owner) {
  owner.retiring = false;
  owner.last_used = caf::make_timestamp();
  owner.use_order = active.by_use.insert(active.by_use.end(), name);
}

/// Passivation, step 1: ask the owner to drain. Step 2 follows its reply,
/// and only if nothing was resolved to it meanwhile: every message the
/// owner got from the router is then handled, its writes are durable, and
/// the next owner of the namespace loads all of them.
/// `handover`: placement prefers another node for it (counted apart).
void retire(router_pointer self, const std::string& name,
            caf::timestamp used_after, bool handover = false) {
  auto& owners = self->state.active.owners;
  auto i = owners.find(name);
  if (i == owners.end() || i->second.retiring)
    return;
  start_retiring(self->state.active, i->second);
  auto drain = ++i->second.drains;
  auto handle = i->second.handle;
  // Only the reply to this drain, while it is still under way, counts.
  auto current = [self, name, handle, drain]() -> placement::owner* {
    auto& all = self->state.active.owners;
    auto j = all.find(name);
    if (j == all.end() || j->second.handle != handle || !j->second.retiring ||
        j->second.drains != drain)
      return nullptr;
    return &j->second;
  };
  self->request(handle, self->state.opts.internal_timeout, drain_atom::value,
                used_after)
      .then(
          [self, name, handle, current, handover](bool may_retire) {
            auto& st = self->state;
            auto owner = current();
            if (owner == nullptr)
              return; // used meanwhile, drained again, or gone
            if (!may_retire) {
              stop_retiring(st.active, name, *owner);
              self->send(handle, resume_atom::value);
              return;
            }
            st.active.names.erase(handle.address());
            st.active.owners.erase(name);
            ++(handover ? st.active.handovers : st.active.passivations);
            if (st.engine)
              st.engine->release(name);
            self->send(handle, retire_atom::value);
          },
          [self, name, handle, current](caf::error&) {
            if (auto owner = current()) {
              stop_retiring(self->state.active, name, *owner);
              self->send(handle, resume_atom::value);
            }
          });
}

/// Retires the least recently used owners beyond max-active-namespaces.
void retire_beyond_limit(router_pointer self) {
  auto& st = self->state;
  auto limit = st.opts.max_active_namespaces;
  // Owners already retiring are on their way out: only the others count.
  // A hard bound: retire them even if callers use them directly.
  while (limit != 0 && st.active.by_use.size() > limit) {
    auto before = st.active.by_use.size();
    retire(self, std::string{st.active.by_use.front()},
           caf::timestamp::max());
    if (st.active.by_use.size() == before)
      return; // cannot happen: the front is active and not retiring
  }
}

} // namespace

caf::expected<namespace_actor> resolve(router_pointer self,
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
  auto i = st.active.owners.find(name);
  if (i != st.active.owners.end()) {
    auto& owner = i->second;
    if (owner.retiring) {
      // Called off: the drain's reply finds it no longer retiring.
      stop_retiring(st.active, name, owner);
      self->send(owner.handle, resume_atom::value);
    } else {
      owner.last_used = caf::make_timestamp();
      st.active.by_use.splice(st.active.by_use.end(), st.active.by_use,
                              owner.use_order);
    }
    return owner.handle;
  }
  auto owner = activate(self, ns, name);
  if (owner)
    retire_beyond_limit(self);
  return owner;
}

std::vector<placement::owner> owners_within(router_pointer self,
                                            const namespace_path& prefix) {
  std::vector<placement::owner> result;
  for (auto& kvp : self->state.active.owners)
    if (is_within(kvp.second.ns, prefix))
      result.push_back(kvp.second);
  return result;
}

void retire_idle(router_pointer self) {
  auto& st = self->state;
  auto cutoff = caf::make_timestamp() - st.opts.passivate_after;
  std::vector<std::string> idle;
  for (auto& kvp : st.active.owners)
    if (!kvp.second.retiring && kvp.second.last_used < cutoff)
      idle.push_back(kvp.first);
  // Idle as far as the router knows; the owner knows of direct use.
  for (auto& name : idle)
    retire(self, name, cutoff);
  retire_beyond_limit(self);
}

void hand_over_misplaced(router_pointer self) {
  auto& st = self->state;
  if (!st.node || !st.node->live())
    return;
  auto& active = st.active;
  auto generation = st.node->view_generation();
  if (generation == active.checked_generation && !active.handovers_left)
    return;
  active.checked_generation = generation;
  std::vector<std::string> misplaced;
  bool left = false;
  for (auto& kvp : active.owners) {
    // Watches keep a namespace where it is, as they keep it active.
    if (kvp.second.watchers > 0 || !st.node->placed_elsewhere(kvp.first))
      continue;
    // One on its way out may yet stay (its drain refused): checked again.
    if (kvp.second.retiring || misplaced.size() == max_handovers_per_tick) {
      left = true;
      continue;
    }
    misplaced.push_back(kvp.first);
  }
  // Checked again next tick while there were some: the rest, and those
  // whose retirement a request called off.
  active.handovers_left = left || !misplaced.empty();
  // Whoever uses them: placement is a hard bound, as the active limit is.
  // Their next request activates them here again, and the load, finding
  // them placed elsewhere, names that node (owner_cache.hpp forwards).
  for (auto& name : misplaced)
    retire(self, name, caf::timestamp::max(), true);
}

void owner_down(router_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto i = st.active.names.find(msg.source);
  if (i == st.active.names.end())
    return;
  auto name = std::move(i->second);
  st.active.names.erase(i);
  auto j = st.active.owners.find(name);
  if (j == st.active.owners.end())
    return;
  // Its watches went with it.
  st.active.watchers -= j->second.watchers;
  if (!j->second.retiring)
    st.active.by_use.erase(j->second.use_order);
  st.active.owners.erase(j);
  // One that gave its namespace up to another node said so itself. The
  // next request activates the namespace again: in memory the engine still
  // holds its data, with PostgreSQL the database.
  if (has_code(msg.reason, error_code::not_owner))
    ++st.active.leases_lost;
  else if (msg.reason)
    log(log_level::warning, "the owner of namespace \"" + name +
                                "\" stopped: " + caf::to_string(msg.reason));
}

const persistence_actor& persistence_of(router_pointer self,
                                        const std::string& name) {
  auto& all = self->state.persistence;
  return all[std::hash<std::string>{}(name) % all.size()];
}

void count_usage(router_pointer self, const caf::actor_addr& who,
                 uint64_t expired, int64_t watchers) {
  auto& active = self->state.active;
  active.expired_entries += expired;
  auto i = active.names.find(who);
  if (i == active.names.end())
    return; // gone meanwhile: its down message took its watches off
  auto j = active.owners.find(i->second);
  if (j == active.owners.end())
    return;
  j->second.watchers += watchers;
  active.watchers += watchers;
}

} // namespace statekeeper
