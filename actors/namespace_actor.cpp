#include "actors/namespace_actor.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace statekeeper {

const char* namespace_state::name = "statekeeper.namespace";

namespace_actor::behavior_type
namespace_actor_impl(namespace_pointer self, caf::actor_addr router,
                     std::shared_ptr<namespace_store> store,
                     service_options opts) {
  self->monitor(router);
  self->set_down_handler([self, router](caf::down_msg& msg) {
    if (msg.source == router)
      self->quit(msg.reason);
  });
  self->state.space.emplace(std::move(store), opts.limits);
  // Valid for the actor's lifetime: the state outlives its behavior.
  auto& ks = *self->state.space;
  auto now = [] { return caf::make_timestamp(); };
  return {
    [&ks, now](get_atom, const namespace_path&, const std::string& key)
      -> caf::result<caf::optional<entry>> { return ks.get(key, now()); },
    [&ks, now](contains_atom, const namespace_path&,
               const std::string& key) -> caf::result<bool> {
      return ks.contains(key, now());
    },
    [&ks, now](put_atom, const namespace_path&, const std::string& key,
               std::string& value, ttl_option ttl) -> caf::result<uint64_t> {
      return ks.put(key, std::move(value), ttl, now());
    },
    [&ks, now](create_atom, const namespace_path&, const std::string& key,
               std::string& value, ttl_option ttl) -> caf::result<uint64_t> {
      return ks.create(key, std::move(value), ttl, now());
    },
    [&ks, now](update_atom, const namespace_path&, const std::string& key,
               std::string& value, uint64_t expected,
               ttl_option ttl) -> caf::result<uint64_t> {
      return ks.update(key, std::move(value), expected, ttl, now());
    },
    [&ks, now](erase_atom, const namespace_path&,
               const std::string& key) -> caf::result<bool> {
      return ks.erase(key, now());
    },
    [&ks, now](erase_if_atom, const namespace_path&, const std::string& key,
               uint64_t expected) -> caf::result<bool> {
      return ks.erase_if(key, expected, now());
    },
    [&ks, now](get_many_atom, const namespace_path&,
               const std::vector<std::string>& keys)
      -> caf::result<std::vector<entry>> { return ks.get_many(keys, now()); },
    [&ks, now](put_many_atom, const namespace_path&,
               std::vector<put_item>& items)
      -> caf::result<std::vector<uint64_t>> {
      return ks.put_many(std::move(items), now());
    },
    [&ks, now](erase_many_atom, const namespace_path&,
               const std::vector<std::string>& keys) -> caf::result<uint64_t> {
      return ks.erase_many(keys, now());
    },
    [&ks, now](expire_atom, const namespace_path&, const std::string& key,
               caf::timespan ttl) -> caf::result<bool> {
      return ks.expire(key, ttl, now());
    },
    [&ks, now](persist_atom, const namespace_path&,
               const std::string& key) -> caf::result<bool> {
      return ks.persist(key, now());
    },
    [&ks, now](list_keys_atom, const namespace_path&, const std::string& prefix,
               const std::string& after,
               uint32_t limit) -> caf::result<key_page> {
      return ks.list_keys(prefix, after, limit, now());
    },
    [&ks, now](scan_atom, const namespace_path&, const std::string& prefix,
               const std::string& after,
               uint32_t limit) -> caf::result<entry_page> {
      return ks.scan(prefix, after, limit, now());
    },
    [&ks, now](key_count_atom, const namespace_path&) -> caf::result<uint64_t> {
      return ks.key_count(now());
    },
    [&ks, now](ns_exists_atom, const namespace_path&) -> caf::result<bool> {
      return ks.key_count(now()) > 0;
    },
    [&ks, now](clear_atom, const namespace_path&) -> caf::result<uint64_t> {
      return ks.clear(now());
    },
    [self, &ks, now, opts](sweep_atom) {
      auto swept = ks.sweep(now(), opts.sweep_batch);
      if (!swept) {
        // The next tick retries; reads already hide expired entries.
        CAF_LOG_WARNING("sweep failed:" << swept.error());
        return;
      }
      // More expired entries than one batch: continue after the requests
      // that are already waiting, instead of blocking them.
      if (ks.needs_sweep(now()))
        self->send(self, sweep_atom::value);
    },
  };
}

} // namespace statekeeper
