#include "actors/blocking_client.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/error.hpp"

namespace statekeeper {

namespace {

watcher_actor::behavior_type watcher_impl(watcher_actor::pointer,
                                          watch_handler handler) {
  return {
      [handler](event_atom, uint64_t, std::vector<watch_event>& events) {
        handler(events);
      },
  };
}

} // namespace

watch_subscription::watch_subscription(watcher_actor watcher, uint64_t id)
    : watcher_(std::move(watcher)), id_(id) {
  // nop
}

watch_subscription::~watch_subscription() {
  stop();
}

void watch_subscription::stop() {
  if (watcher_) {
    caf::anon_send_exit(watcher_, caf::exit_reason::user_shutdown);
    watcher_ = nullptr;
  }
}

blocking_client::blocking_client(caf::actor_system& sys, router_actor router,
                                 caf::timespan timeout)
    : sys_(sys), self_(sys), router_(std::move(router)), timeout_(timeout) {
  // nop
}

template <class Reply, class... Ts>
caf::expected<Reply> blocking_client::call(Ts&&... xs) {
  caf::expected<Reply> result{caf::error{}};
  self_->request(router_, timeout_, std::forward<Ts>(xs)...)
      .receive([&](Reply& reply) { result = std::move(reply); },
               [&](caf::error& err) {
                 result = in_our_terms(std::move(err), "the service");
               });
  return result;
}

caf::expected<caf::optional<entry>>
blocking_client::get(const namespace_path& ns, const std::string& key) {
  return call<caf::optional<entry>>(get_atom::value, ns, key);
}

caf::expected<bool> blocking_client::contains(const namespace_path& ns,
                                              const std::string& key) {
  return call<bool>(contains_atom::value, ns, key);
}

caf::expected<uint64_t> blocking_client::put(const namespace_path& ns,
                                             const std::string& key,
                                             const std::string& value,
                                             ttl_option ttl) {
  return call<uint64_t>(put_atom::value, ns, key, value, ttl);
}

caf::expected<uint64_t> blocking_client::create(const namespace_path& ns,
                                                const std::string& key,
                                                const std::string& value,
                                                ttl_option ttl) {
  return call<uint64_t>(create_atom::value, ns, key, value, ttl);
}

caf::expected<uint64_t> blocking_client::update(const namespace_path& ns,
                                                const std::string& key,
                                                const std::string& value,
                                                uint64_t expected_version,
                                                ttl_option ttl) {
  return call<uint64_t>(update_atom::value, ns, key, value, expected_version,
                        ttl);
}

caf::expected<bool> blocking_client::erase(const namespace_path& ns,
                                           const std::string& key) {
  return call<bool>(erase_atom::value, ns, key);
}

caf::expected<bool> blocking_client::erase_if(const namespace_path& ns,
                                              const std::string& key,
                                              uint64_t expected_version) {
  return call<bool>(erase_if_atom::value, ns, key, expected_version);
}

caf::expected<std::vector<entry>>
blocking_client::get_many(const namespace_path& ns,
                          const std::vector<std::string>& keys) {
  return call<std::vector<entry>>(get_many_atom::value, ns, keys);
}

caf::expected<std::vector<uint64_t>>
blocking_client::put_many(const namespace_path& ns,
                          const std::vector<put_item>& items) {
  return call<std::vector<uint64_t>>(put_many_atom::value, ns, items);
}

caf::expected<uint64_t>
blocking_client::erase_many(const namespace_path& ns,
                            const std::vector<std::string>& keys) {
  return call<uint64_t>(erase_many_atom::value, ns, keys);
}

caf::expected<bool> blocking_client::expire(const namespace_path& ns,
                                            const std::string& key,
                                            caf::timespan ttl) {
  return call<bool>(expire_atom::value, ns, key, ttl);
}

caf::expected<bool> blocking_client::persist(const namespace_path& ns,
                                             const std::string& key) {
  return call<bool>(persist_atom::value, ns, key);
}

caf::expected<key_page> blocking_client::list_keys(const namespace_path& ns,
                                                   const std::string& prefix,
                                                   const std::string& after,
                                                   uint32_t limit) {
  return call<key_page>(list_keys_atom::value, ns, prefix, after, limit);
}

caf::expected<entry_page> blocking_client::scan(const namespace_path& ns,
                                                const std::string& prefix,
                                                const std::string& after,
                                                uint32_t limit) {
  return call<entry_page>(scan_atom::value, ns, prefix, after, limit);
}

caf::expected<uint64_t> blocking_client::key_count(const namespace_path& ns) {
  return call<uint64_t>(key_count_atom::value, ns);
}

caf::expected<bool>
blocking_client::namespace_exists(const namespace_path& ns) {
  return call<bool>(ns_exists_atom::value, ns);
}

caf::expected<uint64_t> blocking_client::clear(const namespace_path& ns) {
  return call<uint64_t>(clear_atom::value, ns);
}

caf::expected<std::vector<namespace_path>>
blocking_client::list_namespaces(const namespace_path& prefix) {
  return call<std::vector<namespace_path>>(list_ns_atom::value, prefix);
}

caf::expected<txn_result>
blocking_client::txn(const namespace_path& ns,
                     const std::vector<txn_compare>& compares,
                     const std::vector<txn_op>& on_success,
                     const std::vector<txn_op>& on_failure) {
  return call<txn_result>(txn_atom::value, ns, compares, on_success,
                          on_failure);
}

caf::expected<watch_subscription> blocking_client::watch(
    const namespace_path& ns, const std::vector<std::string>& prefixes,
    caf::optional<watch_cursor> from, watch_handler handler) {
  auto watcher = sys_.spawn(watcher_impl, std::move(handler));
  auto id = call<uint64_t>(watch_atom::value, ns, prefixes, from, watcher);
  if (!id) {
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    return std::move(id.error());
  }
  return watch_subscription{std::move(watcher), *id};
}

caf::expected<bool> blocking_client::unwatch(const namespace_path& ns,
                                             uint64_t id) {
  return call<bool>(unwatch_atom::value, ns, id);
}

caf::expected<void> blocking_client::sync() {
  auto done = call<ok_atom>(sync_atom::value);
  if (!done)
    return std::move(done.error());
  return caf::expected<void>{};
}

caf::expected<service_stats> blocking_client::stats() {
  return call<service_stats>(stats_atom::value);
}

std::string blocking_client::render(const caf::error& err) const {
  return sys_.render(err);
}

} // namespace statekeeper
