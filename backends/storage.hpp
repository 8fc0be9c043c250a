// The storage contract: plain synchronous C++, no actors, no locks.
//
// Thread safety: none. A `namespace_store` is owned by exactly one namespace
// actor and called only by it, one call at a time; it may rely on that (a
// backend bound to one OS thread works as long as its owner is pinned, see
// service_options::pin_namespaces). A `storage_engine` is called only by the
// router actor. Implementations must not throw for expected failures: they
// report them as errors of messages/error.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "messages/change.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper {

/// What a backend keeps per key. Expired entries may still be stored until
/// the owner sweeps them; the owner filters them out of every read.
struct stored_entry {
  std::string value;
  uint64_t version = 0;
  caf::optional<caf::timestamp> expires_at;
};

/// The data of one namespace.
class namespace_store {
public:
  /// Called per entry by `scan`; return false to stop early.
  using visitor
    = std::function<bool(const std::string& key, const stored_entry& value)>;

  virtual ~namespace_store();

  /// Returns the entry under `key` (expired or not), or nullptr. The pointer
  /// stays valid until the next call to `apply`.
  virtual const stored_entry* find(const std::string& key) const = 0;

  /// Visits, in ascending byte order, every entry whose key starts with
  /// `prefix` and sorts strictly after `after` ("" visits from the start).
  virtual void scan(const std::string& prefix, const std::string& after,
                    const visitor& visit) const = 0;

  /// Returns how many entries are stored, expired ones included.
  virtual uint64_t size() const = 0;

  /// Returns the revision of the last applied batch (0 for a new namespace).
  virtual uint64_t revision() const = 0;

  /// Applies `batch` as one unit and records `revision` as the namespace's
  /// revision. All or nothing: on error, nothing of the batch is applied.
  /// Errors: `storage_unavailable` (retryable), `internal`.
  [[nodiscard]] virtual caf::error apply(const std::vector<change_record>& batch,
                                         uint64_t revision)
    = 0;
};

/// Opens namespace stores. Called only by the router actor.
class storage_engine {
public:
  virtual ~storage_engine();

  /// Returns the store of `ns`, creating an empty one if it has none. The
  /// caller hands it to exactly one owner at a time. If a previous owner
  /// stopped, the same data is returned to the next one.
  virtual std::shared_ptr<namespace_store>
  open(const namespace_path& ns, const std::string& rendered)
    = 0;

  /// Tells the engine that the owner of `rendered` stopped (passivation):
  /// it may forget the store if it holds nothing to keep (never written).
  /// Default: nop.
  virtual void release(const std::string& rendered);

  /// Calls `visit` with the rendered name and store of every namespace the
  /// engine keeps. Only for stores no owner has (the caller knows which).
  /// Default: none.
  using store_visitor = std::function<void(const std::string& rendered,
                                           const namespace_store& store)>;
  virtual void visit(const store_visitor& visit) const;
};

} // namespace statekeeper
