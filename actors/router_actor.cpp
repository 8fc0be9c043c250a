#include "actors/router_actor.hpp"

#include <algorithm>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/namespace_actor.hpp"
#include "actors/timer_actor.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* router_state::name = "statekeeper.router";

namespace {

caf::expected<namespace_actor> activate(router_pointer self,
                                        const namespace_path& ns,
                                        const std::string& name) {
  auto& st = self->state;
  std::shared_ptr<namespace_store> store;
  try {
    store = st.engine->open(ns, name);
  } catch (const std::exception& ex) {
    return make_error(error_code::storage_unavailable,
                      "cannot open namespace \"" + name + "\": " + ex.what());
  }
  auto router = self->address();
  auto owner = st.opts.pin_namespaces
                 ? self->spawn<caf::detached>(namespace_actor_impl, router,
                                              std::move(store), st.opts)
                 : self->spawn(namespace_actor_impl, router, std::move(store),
                               st.opts);
  self->monitor(owner);
  st.names.emplace(owner.address(), name);
  st.owners.emplace(name, router_state::owner{ns, owner});
  return owner;
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
                      "namespace is " + std::to_string(name.size())
                        + " bytes rendered, limit is "
                        + std::to_string(st.opts.limits.max_namespace_bytes)
                        + " (max-namespace-bytes)");
  auto i = st.owners.find(name);
  if (i != st.owners.end())
    return i->second.handle;
  return activate(self, ns, name);
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

/// Asks every active namespace at or under `prefix` whether it holds a live
/// entry and delivers the sorted list of those that do.
caf::result<std::vector<namespace_path>>
list_namespaces(router_pointer self, const namespace_path& prefix) {
  if (!prefix.tenant.empty() || !prefix.scopes.empty())
    if (auto err = validate_namespace(prefix))
      return err;
  struct gather {
    size_t pending = 0;
    std::vector<namespace_path> found;
  };
  std::vector<router_state::owner> candidates;
  for (auto& kvp : self->state.owners)
    if (is_within(kvp.second.ns, prefix))
      candidates.push_back(kvp.second);
  if (candidates.empty())
    return std::vector<namespace_path>{};
  // Only now: a promise taken over the request must be delivered.
  auto rp = self->make_response_promise<std::vector<namespace_path>>();
  auto acc = std::make_shared<gather>();
  acc->pending = candidates.size();
  for (auto& candidate : candidates) {
    auto ns = candidate.ns;
    self
      ->request(candidate.handle, self->state.opts.internal_timeout,
                ns_exists_atom::value, ns)
      .then(
        [acc, rp, ns](bool exists) mutable {
          if (exists)
            acc->found.push_back(ns);
          if (--acc->pending == 0 && rp.pending()) {
            std::sort(acc->found.begin(), acc->found.end());
            rp.deliver(std::move(acc->found));
          }
        },
        [rp](caf::error& err) mutable {
          if (rp.pending())
            rp.deliver(std::move(err));
        });
  }
  return rp;
}

} // namespace

router_actor::behavior_type
router_actor_impl(router_pointer self, service_options opts,
                  std::shared_ptr<storage_engine> engine) {
  self->state.opts = opts;
  self->state.engine = std::move(engine);
  self->state.timer = self->spawn(timer_actor_impl,
                                  caf::actor_cast<router_actor>(self),
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
    st.owners.erase(j);
    // Respawn at once: the engine still holds the namespace's data, and an
    // owner that waits for its next request would be missing from
    // list_namespaces until then.
    CAF_LOG_WARNING("namespace owner" << name << "stopped:" << msg.reason);
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
    [self](put_many_atom a, namespace_path& ns, std::vector<put_item>& items) {
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
    [self](ns_exists_atom a, namespace_path& ns) {
      return forward<bool>(self, a, ns);
    },
    [self](clear_atom a, namespace_path& ns) {
      return forward<uint64_t>(self, a, ns);
    },
    [self](sweep_atom) {
      for (auto& kvp : self->state.owners)
        self->send(kvp.second.handle, sweep_atom::value);
    },
    [self](list_ns_atom, const namespace_path& prefix) {
      return list_namespaces(self, prefix);
    },
    [](sync_atom) -> caf::result<ok_atom> {
      // The in-memory engine has nothing to flush: every acknowledged write
      // is as durable as it will ever be.
      return ok_atom::value;
    },
  };
}

} // namespace statekeeper
