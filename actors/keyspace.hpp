// The state of one namespace and every operation on it: entries (in a
// namespace_store), the revision counter and the expiry index. Owned by one
// namespace actor, which is the only caller; not thread-safe.
//
// The single apply path has two halves. An operation validates, checks its
// precondition and *stages* its changes (`commit`), computing its result as
// if they were applied; the owner then makes them durable if it persists,
// and `apply`s them, or drops them with `discard` if that failed. Nothing is
// visible before `apply`. At most one batch is staged at a time: the owner
// finishes one operation before it starts the next.
//
// Each operation takes `now` so that expiry is judged once per request.
// Results follow messages/interfaces.hpp; errors are statekeeper errors.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "actors/expiry_index.hpp"
#include "actors/service_options.hpp"
#include "backends/storage.hpp"
#include "messages/change.hpp"
#include "messages/entry.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

class keyspace {
 public:
  /// Takes over `store` and indexes the expiry times it holds.
  keyspace(std::shared_ptr<namespace_store> store, const service_limits& lim);

  /// Returns the changes the last operation staged, if any, and forgets
  /// them; they carry the revision they will have once applied.
  std::optional<std::vector<change_record>> take_staged();

  /// Applies staged changes: to the store, then the expiry index.
  /// Errors: what the store reports (nothing is applied then).
  [[nodiscard]] caf::error apply(const std::vector<change_record>& changes);

  /// Returns the changes that take `changes` back once they are applied:
  /// the state before them of every key they touch (all keys, if they
  /// clear the namespace). Call it before `apply`.
  std::vector<change_record>
  undo_of(const std::vector<change_record>& changes) const;

  /// Applies `undo` (from `undo_of`) and sets the revision back to
  /// `revision`, the one before the changes it takes back. Errors: what the
  /// store reports.
  [[nodiscard]] caf::error revert(const std::vector<change_record>& undo,
                                  uint64_t revision);

  caf::expected<caf::optional<entry>> get(const std::string& key,
                                          caf::timestamp now) const;
  caf::expected<bool> contains(const std::string& key,
                               caf::timestamp now) const;
  caf::expected<uint64_t> put(const std::string& key, std::string value,
                              ttl_option ttl, caf::timestamp now);
  caf::expected<uint64_t> create(const std::string& key, std::string value,
                                 ttl_option ttl, caf::timestamp now);
  caf::expected<uint64_t> update(const std::string& key, std::string value,
                                 uint64_t expected_version, ttl_option ttl,
                                 caf::timestamp now);
  caf::expected<bool> erase(const std::string& key, caf::timestamp now);
  caf::expected<bool> erase_if(const std::string& key,
                               uint64_t expected_version, caf::timestamp now);
  caf::expected<std::vector<entry>>
  get_many(const std::vector<std::string>& keys, caf::timestamp now) const;
  caf::expected<std::vector<uint64_t>> put_many(std::vector<put_item> items,
                                                caf::timestamp now);
  caf::expected<uint64_t> erase_many(const std::vector<std::string>& keys,
                                     caf::timestamp now);
  caf::expected<bool> expire(const std::string& key, caf::timespan ttl,
                             caf::timestamp now);
  caf::expected<bool> persist(const std::string& key, caf::timestamp now);
  caf::expected<key_page> list_keys(const std::string& prefix,
                                    const std::string& after, uint32_t limit,
                                    caf::timestamp now) const;
  caf::expected<entry_page> scan(const std::string& prefix,
                                 const std::string& after, uint32_t limit,
                                 caf::timestamp now) const;
  uint64_t key_count(caf::timestamp now) const;
  caf::expected<uint64_t> clear(caf::timestamp now);

  /// Runs a transaction (messages/interfaces.hpp, `txn`): evaluates
  /// `compares`, then runs one branch's operations in order, staging all its
  /// writes as one revision. Defined in actors/keyspace_txn.cpp.
  caf::expected<txn_result> txn(const namespace_path& ns,
                                const std::vector<txn_compare>& compares,
                                const std::vector<txn_op>& on_success,
                                const std::vector<txn_op>& on_failure,
                                caf::timestamp now);

  /// Calls `visit(key, entry)` for every entry live at `now` whose key
  /// starts with `prefix`, in key order.
  void visit_live(const std::string& prefix, caf::timestamp now,
                  const std::function<void(const std::string&,
                                           const stored_entry&)>& visit) const;

  /// Evicts up to `max` expired entries as one change. Returns how many.
  caf::expected<size_t> sweep(caf::timestamp now, size_t max);

  /// Returns true if expired entries wait for a sweep.
  bool needs_sweep(caf::timestamp now) const {
    return expiries_.any_expired(now);
  }

  /// Returns when the earliest entry with a TTL expires, or none.
  caf::optional<caf::timestamp> next_expiry() const {
    return expiries_.earliest();
  }

  /// Returns the current revision of the namespace.
  uint64_t revision() const { return store_->revision(); }

 private:
  /// Stages `batch`, stamped with the next revision, which it returns.
  uint64_t commit(std::vector<change_record> batch);

  /// Returns `stored` as a reader sees it.
  static entry to_entry(const std::string& key, const stored_entry& stored);

  /// Returns the live entry under `key`, or nullptr if absent or expired.
  const stored_entry* live(const std::string& key, caf::timestamp now) const;

  /// Visits live entries for list_keys and scan; returns whether more exist.
  caf::expected<bool>
  page(const std::string& prefix, const std::string& after, uint32_t limit,
       caf::timestamp now,
       const std::function<void(const std::string&, const stored_entry&)>& add)
      const;

  caf::error check_key(const std::string& key) const;
  caf::error check_write(const std::string& key, const std::string& value,
                         const ttl_option& ttl) const;
  caf::error check_ttl(const std::string& key, const ttl_option& ttl) const;
  caf::error check_batch(size_t size) const;
  caf::error check_txn(const namespace_path& ns,
                       const std::vector<txn_compare>& compares,
                       const std::vector<txn_op>& on_success,
                       const std::vector<txn_op>& on_failure) const;
  /// Whether every compare of a transaction holds at `now`.
  bool compares_hold(const std::vector<txn_compare>& compares,
                     caf::timestamp now) const;
  /// Runs a transaction's branch: its results, and its writes appended to
  /// `batch` (stamped with the next revision).
  std::vector<txn_op_result>
  run_branch(const std::vector<txn_op>& ops, caf::timestamp now,
             std::vector<change_record>& batch) const;
  caf::error check_txn_branch(const namespace_path& ns,
                              const std::vector<txn_op>& ops,
                              const char* branch) const;
  caf::optional<caf::timestamp> expiry_of(const ttl_option& ttl,
                                          caf::timestamp now) const;
  uint64_t write(const std::string& key, std::string value, ttl_option ttl,
                 caf::timestamp now);

  /// Applies `changes` to the store as `revision`, then to the expiry
  /// index.
  caf::error apply_as(const std::vector<change_record>& changes,
                      uint64_t revision);

  std::shared_ptr<namespace_store> store_;
  std::optional<std::vector<change_record>> staged_;
  expiry_index expiries_;
  service_limits limits_;
};

} // namespace statekeeper
