// A blocking client for code that is not an actor: one method per
// operation, each waiting for the reply up to a timeout. Errors are returned
// as values (`caf::expected`), never thrown, always in statekeeper's terms
// (a CAF timeout becomes `timeout`, a stopped receiver
// `storage_unavailable`).
//
// Thread safety: a client object is used by one thread at a time (it owns a
// CAF scoped_actor). Create one client per thread; they are cheap.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/optional.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/timestamp.hpp>

#include "actors/owner_cache.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

/// A running watch of a blocking client. Ends the watch when destroyed (or
/// on `stop`). Movable, not copyable.
class watch_subscription {
 public:
  watch_subscription(watcher_actor watcher, uint64_t id);
  watch_subscription(watch_subscription&&) = default;
  watch_subscription& operator=(watch_subscription&&) = default;
  ~watch_subscription();

  /// The watch id the service gave (for unwatch).
  uint64_t id() const { return id_; }

  /// Ends the watch; the handler runs no more once the service noticed.
  void stop();

 private:
  watcher_actor watcher_;
  uint64_t id_;
};

/// Called with each batch of events of a watch, in revision order, on a
/// CAF worker thread (never two calls at once). Returning acknowledges the
/// batch; a handler that blocks holds back the watch (see watch_max_lag).
using watch_handler = std::function<void(const watch_batch&)>;

class blocking_client {
 public:
  /// Talks to the service behind `router` (local or remote). Each call waits
  /// at most `timeout`; then it fails with `error_code::timeout`. With a
  /// service in this actor system, the client sends the operations on a
  /// namespace to its owner directly (actors/owner_cache.hpp).
  blocking_client(caf::actor_system& sys, router_actor router,
                  caf::timespan timeout = std::chrono::seconds{5});

  /// See messages/interfaces.hpp for each operation's semantics and errors.
  caf::expected<caf::optional<entry>> get(const namespace_path& ns,
                                          const std::string& key);
  caf::expected<bool> contains(const namespace_path& ns,
                               const std::string& key);
  caf::expected<uint64_t> put(const namespace_path& ns, const std::string& key,
                              const std::string& value, ttl_option ttl = {});
  caf::expected<uint64_t> create(const namespace_path& ns,
                                 const std::string& key,
                                 const std::string& value, ttl_option ttl = {});
  caf::expected<uint64_t> update(const namespace_path& ns,
                                 const std::string& key,
                                 const std::string& value,
                                 uint64_t expected_version,
                                 ttl_option ttl = {});
  caf::expected<bool> erase(const namespace_path& ns, const std::string& key);
  caf::expected<bool> erase_if(const namespace_path& ns, const std::string& key,
                               uint64_t expected_version);
  caf::expected<std::vector<entry>>
  get_many(const namespace_path& ns, const std::vector<std::string>& keys);
  caf::expected<std::vector<uint64_t>>
  put_many(const namespace_path& ns, const std::vector<put_item>& items);
  caf::expected<uint64_t> erase_many(const namespace_path& ns,
                                     const std::vector<std::string>& keys);
  caf::expected<bool> expire(const namespace_path& ns, const std::string& key,
                             caf::timespan ttl);
  caf::expected<bool> persist(const namespace_path& ns, const std::string& key);
  caf::expected<key_page> list_keys(const namespace_path& ns,
                                    const std::string& prefix = {},
                                    const std::string& after = {},
                                    uint32_t limit = 100);
  caf::expected<entry_page> scan(const namespace_path& ns,
                                 const std::string& prefix = {},
                                 const std::string& after = {},
                                 uint32_t limit = 100);
  caf::expected<uint64_t> key_count(const namespace_path& ns);
  caf::expected<bool> namespace_exists(const namespace_path& ns);
  caf::expected<uint64_t> clear(const namespace_path& ns);
  caf::expected<std::vector<namespace_path>>
  list_namespaces(const namespace_path& prefix = {});
  /// Runs a transaction (see `txn` in messages/interfaces.hpp).
  caf::expected<txn_result> txn(const namespace_path& ns,
                                const std::vector<txn_compare>& compares,
                                const std::vector<txn_op>& on_success,
                                const std::vector<txn_op>& on_failure = {});
  /// Watches keys of `ns` under `prefixes` (none: all), calling `handler`
  /// with every batch of events until the subscription is destroyed.
  /// Without `from` the first events are the snapshot; with it, the
  /// changes after that cursor (an event's `cursor()`).
  caf::expected<watch_subscription>
  watch(const namespace_path& ns, const std::vector<std::string>& prefixes,
        caf::optional<watch_cursor> from, watch_handler handler);
  /// Ends the watch `id` of `ns`; returns whether it existed.
  caf::expected<bool> unwatch(const namespace_path& ns, uint64_t id);
  /// Returns once every write acknowledged so far is durable.
  caf::expected<void> sync();
  /// Returns the service's counters.
  caf::expected<service_stats> stats();

  /// Several nodes: every member of the cluster (needs an operator token
  /// over the network).
  caf::expected<std::vector<member_status>> members();

  /// Renders `err` as words, e.g.
  /// "statekeeper: not_found: key \"a\"".
  std::string render(const caf::error& err) const;

 private:
  /// Sends a request to the router and waits for its reply.
  template <class Reply, class... Ts> caf::expected<Reply> call(Ts&&... xs);

  /// Sends an operation on `ns` to its owner and waits for its reply; goes
  /// through the router when owners are out of reach. Several nodes: sends
  /// it again while it fails with `not_owner` (nothing applied: the
  /// namespace is between owners, as when its node died), until the
  /// timeout has passed.
  template <class Reply, class Atom, class... Ts>
  caf::expected<Reply> call_owner(Atom atom, const namespace_path& ns,
                                  const Ts&... xs);

  /// One attempt of `call_owner`.
  template <class Reply, class Atom, class... Ts>
  caf::expected<Reply> call_owner_once(Atom atom, const namespace_path& ns,
                                       const Ts&... xs);

  /// Returns the owner of the namespace rendered as `name`, resolving it if
  /// needed; null (and `direct_` off) if the service does not hand out
  /// owners.
  caf::expected<namespace_operations> owner_of(const std::string& name,
                                               const namespace_path& ns);

  /// The actor the requests come from, replaced once it is `timeout_` old:
  /// CAF 0.17 delivers each request's timeout even after its reply came,
  /// and a blocking actor keeps such a message in its mailbox for good,
  /// where every later receive walks past it. A sender that lives no
  /// longer than the timeout gets none of them.
  caf::scoped_actor& self();

  caf::actor_system& sys_;
  std::unique_ptr<caf::scoped_actor> self_;
  caf::timestamp self_since_;
  router_actor router_;
  caf::timespan timeout_;
  owner_cache owners_;
  /// Whether owners are reached directly.
  bool direct_;
};

} // namespace statekeeper
