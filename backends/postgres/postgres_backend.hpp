// The PostgreSQL engine of the durable storage contract
// (backends/durable_store.hpp): one libpqxx connection and the SQL that
// loads, commits and lists namespaces. Plain synchronous C++ that blocks on
// the network; not thread-safe. Owned and called by exactly one persistence
// actor, which runs on a thread of its own (a pqxx::connection must never be
// shared). libpqxx exceptions stop here: every failure is returned as a
// statekeeper error (storage_unavailable when the server is unreachable or
// the connection broke, internal with the SQLSTATE otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timestamp.hpp>

#include "backends/durable_store.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

class postgres_backend final : public durable_store {
 public:
  /// Does not connect yet; see `connect`. `conninfo` is a libpq connection
  /// string or URI ("" uses the PG* environment variables).
  /// With a positive `idle_limit` (several nodes), the server ends the
  /// session of a transaction left idle that long
  /// (idle_in_transaction_session_timeout), so that a node paused in the
  /// middle of a commit releases its locks on the leases.
  explicit postgres_backend(std::string conninfo,
                            caf::timespan idle_limit = caf::timespan{0});
  ~postgres_backend() override;

  /// Connects, applies pending schema migrations (sql/, in order, under an
  /// advisory lock) and prepares statements. Errors: storage_unavailable if
  /// the server cannot be reached; internal for a failed migration or a
  /// schema newer than this build.
  [[nodiscard]] caf::error connect() override;

  /// Returns whether a connection is open. A failed call that lost the
  /// connection closes it; `connect` again to resume.
  bool connected() const override;

  /// Returns the revision, live entries and change history of namespace `ns`
  /// (rendered), read from one snapshot; see `namespace_snapshot`.
  caf::expected<namespace_snapshot> load(const std::string& ns,
                                         caf::timestamp now) override;

  /// Writes `batches` in one transaction, all or nothing: the final effect
  /// per key, the revisions, one change-history row per change record, and
  /// the deletion of each namespace's history at or below the highest
  /// `history_floor` among its batches.
  [[nodiscard]] caf::error commit(const std::vector<persist_batch>& batches,
                                  std::vector<std::string>& fenced) override;

  /// Returns the rendered namespaces equal to or below `prefix` ("" = all)
  /// that hold an entry live at `now`, sorted.
  caf::expected<std::vector<std::string>>
  list_namespaces(const std::string& prefix, caf::timestamp now) override;

  /// Returns whether `ns` holds an entry live at `now`.
  caf::expected<bool> namespace_exists(const std::string& ns,
                                       caf::timestamp now) override;

  /// Deletes up to `limit` rows expired at `now`; returns how many.
  caf::expected<uint64_t> purge_expired(caf::timestamp now,
                                        uint64_t limit) override;

  [[nodiscard]] caf::error join(const member_info& me) override;
  caf::expected<caf::timespan> heartbeat(uint64_t id) override;
  [[nodiscard]] caf::error leave(uint64_t id) override;
  caf::expected<std::vector<member_status>>
  members(caf::timespan member_timeout) override;
  caf::expected<std::vector<member_info>>
  live_members(caf::timespan member_timeout) override;
  caf::expected<uint64_t>
  acquire_lease(const std::string& ns, uint64_t id,
                caf::timespan member_timeout,
                const caf::optional<member_info>& placed) override;
  [[nodiscard]] caf::error release_lease(const std::string& ns,
                                         uint64_t epoch) override;

 private:
  template <class F> auto guarded(const char* what, F f) -> decltype(f());

  caf::error migrate();
  void prepare_statements();

  // Holds the pqxx::connection (a typedef in libpqxx 6, so it cannot be
  // forward-declared here).
  struct session;

  std::string conninfo_;
  caf::timespan idle_limit_;
  std::unique_ptr<session> conn_;
};

/// Opens postgres_backend{conninfo, idle_limit} stores.
durable_store_factory
postgres_store_factory(std::string conninfo,
                       caf::timespan idle_limit = caf::timespan{0});

/// One schema migration from sql/, compiled into the binary.
struct migration {
  int version;
  const char* name;
  const char* sql;
};

/// Returns every migration in version order (generated from sql/*.sql).
const std::vector<migration>& schema_migrations();

} // namespace statekeeper
