// Change records and persist batches written out in tests of what is
// committed: the commit plan (no database) and the PostgreSQL backend.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "messages/change.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

inline change_record
put_change(std::string key, std::string value, uint64_t version,
           caf::optional<caf::timestamp> expires_at = caf::none) {
  change_record x;
  x.kind = change_kind::put;
  x.key = std::move(key);
  x.version = version;
  x.value = std::move(value);
  x.expires_at = expires_at;
  return x;
}

/// An erase, expire or clear record.
inline change_record removal(change_kind kind, std::string key,
                             uint64_t version) {
  change_record x;
  x.kind = kind;
  x.key = std::move(key);
  x.version = version;
  return x;
}

/// A batch that ends at the revision of its last change.
inline persist_batch batch_of(std::string ns,
                              std::vector<change_record> changes,
                              uint64_t history_floor = 0,
                              uint64_t incarnation = 0) {
  persist_batch x;
  x.ns = std::move(ns);
  x.revision = changes.empty() ? 0 : changes.back().version;
  x.changes = std::move(changes);
  x.history_floor = history_floor;
  x.incarnation = incarnation;
  return x;
}

} // namespace statekeeper
