#include "actors/blocking_client.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <type_traits>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/error.hpp"

namespace statekeeper {

namespace {

watcher_actor::behavior_type watcher_impl(watcher_actor::pointer,
                                          watch_handler handler) {
  return {
      [handler](event_atom, uint64_t, const watch_batch& events) {
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
    : sys_(sys), self_(std::make_unique<caf::scoped_actor>(sys)),
      self_since_(caf::make_timestamp()), router_(router), timeout_(timeout),
      owners_(std::move(router)),
      direct_(router_ && router_.node() == sys.node()) {
  // nop
}

caf::scoped_actor& blocking_client::self() {
  auto now = caf::make_timestamp();
  if (now - self_since_ >= timeout_) {
    self_ = std::make_unique<caf::scoped_actor>(sys_);
    self_since_ = now;
  }
  return *self_;
}

template <class Reply, class... Ts>
caf::expected<Reply> blocking_client::call(Ts&&... xs) {
  caf::expected<Reply> result{caf::error{}};
  self()
      ->request(router_, timeout_, std::forward<Ts>(xs)...)
      .receive([&](Reply& reply) { result = std::move(reply); },
               [&](caf::error& err) {
                 result = in_our_terms(std::move(err), "the service");
               });
  return result;
}

caf::expected<namespace_operations>
blocking_client::owner_of(const std::string& name, const namespace_path& ns) {
  if (auto owner = owners_.find(name))
    return owner;
  caf::expected<namespace_operations> result{caf::error{}};
  self()
      ->request(owners_.directory(), timeout_, resolve_atom::value, ns)
      .receive(
          [&](namespace_operations& owner) {
            owners_.remember(name, owner);
            result = std::move(owner);
          },
          [&](caf::error& err) {
            if (err == caf::sec::unexpected_message) {
              // Not a service of this actor system (a remote service's
              // handle): everything goes through the handle.
              direct_ = false;
              result = namespace_operations{};
            } else {
              result = in_our_terms(std::move(err), "the service");
            }
          });
  return result;
}

template <class Reply, class Atom, class... Ts>
caf::expected<Reply> blocking_client::call_owner(Atom atom,
                                                 const namespace_path& ns,
                                                 const Ts&... xs) {
  // A watch refused because its namespace is owned elsewhere stays so.
  if constexpr (std::is_same_v<Atom, watch_atom>)
    return call_owner_once<Reply>(atom, ns, xs...);
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout_;
  auto pause = std::chrono::milliseconds{50};
  for (;;) {
    auto result = call_owner_once<Reply>(atom, ns, xs...);
    if (result || !has_code(result.error(), error_code::not_owner) ||
        clock::now() + pause >= deadline)
      return result;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{500});
  }
}

template <class Reply, class Atom, class... Ts>
caf::expected<Reply> blocking_client::call_owner_once(Atom atom,
                                                      const namespace_path& ns,
                                                      const Ts&... xs) {
  auto name = direct_ ? statekeeper::render(ns) : std::string{};
  for (int attempt = 0; direct_ && attempt < owner_attempts; ++attempt) {
    auto owner = owner_of(name, ns);
    if (!owner)
      return std::move(owner.error());
    if (!*owner)
      break;
    caf::expected<Reply> result{caf::error{}};
    caf::error failure;
    self()
        ->request(*owner, timeout_, atom, ns, xs...)
        .receive([&](Reply& reply) { result = std::move(reply); },
                 [&](caf::error& err) { failure = std::move(err); });
    if (!failure)
      return result;
    result = in_our_terms(failure, "the service");
    auto plan = owners_.after_failure(name, failure, attempt);
    if (plan.dropped_peer != 0)
      self()->send(owners_.directory(), forget_peer_atom::value,
                   plan.dropped_peer);
    if (plan.step == failure_plan::fail)
      return result;
    if (plan.step == failure_plan::resend)
      continue;
    bool found = false;
    self()
        ->request(owners_.directory(), timeout_, peer_atom::value, *plan.to)
        .receive(
            [&](router_actor& peer) {
              owners_.remember_peer(name, peer, plan.to->id);
              found = true;
            },
            [](caf::error&) {});
    // Not connected, nothing sent: the node that placement preferred is
    // passed over now, and this one may take the namespace.
    if (!found)
      continue;
  }
  return call<Reply>(atom, ns, xs...);
}

caf::expected<caf::optional<entry>>
blocking_client::get(const namespace_path& ns, const std::string& key) {
  return call_owner<caf::optional<entry>>(get_atom::value, ns, key);
}

caf::expected<bool> blocking_client::contains(const namespace_path& ns,
                                              const std::string& key) {
  return call_owner<bool>(contains_atom::value, ns, key);
}

caf::expected<uint64_t> blocking_client::put(const namespace_path& ns,
                                             const std::string& key,
                                             const std::string& value,
                                             ttl_option ttl) {
  return call_owner<uint64_t>(put_atom::value, ns, key, value, ttl);
}

caf::expected<uint64_t> blocking_client::create(const namespace_path& ns,
                                                const std::string& key,
                                                const std::string& value,
                                                ttl_option ttl) {
  return call_owner<uint64_t>(create_atom::value, ns, key, value, ttl);
}

caf::expected<uint64_t> blocking_client::update(const namespace_path& ns,
                                                const std::string& key,
                                                const std::string& value,
                                                uint64_t expected_version,
                                                ttl_option ttl) {
  return call_owner<uint64_t>(update_atom::value, ns, key, value,
                              expected_version, ttl);
}

caf::expected<bool> blocking_client::erase(const namespace_path& ns,
                                           const std::string& key) {
  return call_owner<bool>(erase_atom::value, ns, key);
}

caf::expected<bool> blocking_client::erase_if(const namespace_path& ns,
                                              const std::string& key,
                                              uint64_t expected_version) {
  return call_owner<bool>(erase_if_atom::value, ns, key, expected_version);
}

caf::expected<std::vector<entry>>
blocking_client::get_many(const namespace_path& ns,
                          const std::vector<std::string>& keys) {
  return call_owner<std::vector<entry>>(get_many_atom::value, ns, keys);
}

caf::expected<std::vector<uint64_t>>
blocking_client::put_many(const namespace_path& ns,
                          const std::vector<put_item>& items) {
  return call_owner<std::vector<uint64_t>>(put_many_atom::value, ns, items);
}

caf::expected<uint64_t>
blocking_client::erase_many(const namespace_path& ns,
                            const std::vector<std::string>& keys) {
  return call_owner<uint64_t>(erase_many_atom::value, ns, keys);
}

caf::expected<bool> blocking_client::expire(const namespace_path& ns,
                                            const std::string& key,
                                            caf::timespan ttl) {
  return call_owner<bool>(expire_atom::value, ns, key, ttl);
}

caf::expected<bool> blocking_client::persist(const namespace_path& ns,
                                             const std::string& key) {
  return call_owner<bool>(persist_atom::value, ns, key);
}

caf::expected<key_page> blocking_client::list_keys(const namespace_path& ns,
                                                   const std::string& prefix,
                                                   const std::string& after,
                                                   uint32_t limit) {
  return call_owner<key_page>(list_keys_atom::value, ns, prefix, after, limit);
}

caf::expected<entry_page> blocking_client::scan(const namespace_path& ns,
                                                const std::string& prefix,
                                                const std::string& after,
                                                uint32_t limit) {
  return call_owner<entry_page>(scan_atom::value, ns, prefix, after, limit);
}

caf::expected<uint64_t> blocking_client::key_count(const namespace_path& ns) {
  return call_owner<uint64_t>(key_count_atom::value, ns);
}

caf::expected<bool>
blocking_client::namespace_exists(const namespace_path& ns) {
  return call<bool>(ns_exists_atom::value, ns);
}

caf::expected<uint64_t> blocking_client::clear(const namespace_path& ns) {
  return call_owner<uint64_t>(clear_atom::value, ns);
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
  return call_owner<txn_result>(txn_atom::value, ns, compares, on_success,
                                on_failure);
}

caf::expected<watch_subscription> blocking_client::watch(
    const namespace_path& ns, const std::vector<std::string>& prefixes,
    caf::optional<watch_cursor> from, watch_handler handler) {
  auto watcher = sys_.spawn(watcher_impl, std::move(handler));
  auto id =
      call_owner<uint64_t>(watch_atom::value, ns, prefixes, from, watcher);
  if (!id) {
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    return std::move(id.error());
  }
  return watch_subscription{std::move(watcher), *id};
}

caf::expected<bool> blocking_client::unwatch(const namespace_path& ns,
                                             uint64_t id) {
  return call_owner<bool>(unwatch_atom::value, ns, id);
}

caf::expected<void> blocking_client::sync() {
  auto done = call<ok_atom>(sync_atom::value);
  if (!done)
    return std::move(done.error());
  return caf::expected<void>{};
}

caf::expected<std::vector<member_status>> blocking_client::members() {
  return call<std::vector<member_status>>(members_atom::value);
}

caf::expected<service_stats> blocking_client::stats() {
  return call<service_stats>(stats_atom::value);
}

std::string blocking_client::render(const caf::error& err) const {
  return sys_.render(err);
}

} // namespace statekeeper
