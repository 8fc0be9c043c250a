// The durable storage contract: what a persistence actor needs from a
// database. Plain synchronous C++ that may block; not thread-safe. Each
// instance is owned and called by exactly one persistence actor, on that
// actor's own thread. Implementations catch their library's exceptions and
// report every failure as an error of messages/error.hpp:
// `storage_unavailable` when the database cannot be reached or the
// connection broke (retryable; the caller reconnects), `timeout` when a
// commit's outcome is unknown, `internal` otherwise. A second engine is a
// folder under backends/ with a class implementing this and a factory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timestamp.hpp>

#include "messages/cluster.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

class durable_store {
 public:
  virtual ~durable_store() = default;

  /// Connects (and brings the schema up to date). Errors:
  /// storage_unavailable if the database cannot be reached; internal if its
  /// schema cannot be used.
  [[nodiscard]] virtual caf::error connect() = 0;

  /// Returns whether a connection is open. A call that lost the connection
  /// closes it; `connect` again to resume.
  virtual bool connected() const = 0;

  /// Returns the revision, live entries (at `now`) and change history of
  /// namespace `ns` (rendered), read from one snapshot.
  virtual caf::expected<namespace_snapshot> load(const std::string& ns,
                                                 caf::timestamp now) = 0;

  /// Writes `batches` in one transaction, all or nothing: the final effect
  /// per key, the revisions and incarnations, one history row per change
  /// record, and the deletion of each namespace's history at or below the
  /// highest `history_floor` among its batches. A batch with a lease epoch
  /// commits only while that epoch is its namespace's current lease,
  /// checked in the transaction: if one is not, nothing is written, the
  /// namespaces of those batches are added to `fenced`, and the error is
  /// `not_owner`.
  [[nodiscard]] virtual caf::error
  commit(const std::vector<persist_batch>& batches,
         std::vector<std::string>& fenced) = 0;

  /// Returns the rendered namespaces equal to or below `prefix` ("" = all)
  /// that hold an entry live at `now`, sorted.
  virtual caf::expected<std::vector<std::string>>
  list_namespaces(const std::string& prefix, caf::timestamp now) = 0;

  /// Returns whether `ns` holds an entry live at `now`.
  virtual caf::expected<bool> namespace_exists(const std::string& ns,
                                               caf::timestamp now) = 0;

  /// Deletes up to `limit` entries expired at `now`; returns how many.
  virtual caf::expected<uint64_t> purge_expired(caf::timestamp now,
                                                uint64_t limit) = 0;

  // Several nodes (docs/architecture.md, "Several nodes"). Liveness is
  // judged by the database's clock, so the nodes' clocks need not agree.

  /// Records `me` as a member with a fresh heartbeat.
  [[nodiscard]] virtual caf::error join(const member_info& me) = 0;

  /// Renews the heartbeat of member `id`; returns how long before it, by
  /// the database's clock, the previous one was. `not_found` if the member
  /// has no row (it was removed): join again.
  virtual caf::expected<caf::timespan> heartbeat(uint64_t id) = 0;

  /// Removes member `id`: its leases are free for others at once.
  [[nodiscard]] virtual caf::error leave(uint64_t id) = 0;

  /// Returns every member, sorted by name, live if its heartbeat is more
  /// recent than `member_timeout`.
  virtual caf::expected<std::vector<member_status>>
  members(caf::timespan member_timeout) = 0;

  /// Returns the live members (heartbeat more recent than
  /// `member_timeout`), in no particular order.
  virtual caf::expected<std::vector<member_info>>
  live_members(caf::timespan member_timeout) = 0;

  /// Takes the lease of namespace `ns` (rendered) for member `id`, unless
  /// a live member other than `id` (one whose heartbeat is more recent than
  /// `member_timeout`) holds it, and returns its new epoch. `not_owner`
  /// naming the holder otherwise. With `placed` (the member placement
  /// prefers, another one), takes nothing: `not_owner` naming the live
  /// holder, or else `placed`; and frees the lease if `id` holds it (the
  /// caller holds no data of `ns` and has committed its writes).
  virtual caf::expected<uint64_t>
  acquire_lease(const std::string& ns, uint64_t id,
                caf::timespan member_timeout,
                const caf::optional<member_info>& placed) = 0;

  /// Frees the lease of `ns` if it is still at `epoch` (a new epoch, no
  /// owner); does nothing otherwise.
  [[nodiscard]] virtual caf::error release_lease(const std::string& ns,
                                                 uint64_t epoch) = 0;
};

/// Opens a new, unconnected store; called once by each persistence actor.
using durable_store_factory = std::function<std::unique_ptr<durable_store>()>;

} // namespace statekeeper
