// The change record: what one mutation did to one key. Every mutation of a
// namespace is expressed as a batch of these, applied by the namespace
// actor's single apply path and handed to the backend (and, later, to
// persistence and watchers). Plain value type; any thread.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

namespace statekeeper {

enum class change_kind : uint8_t {
  /// The key now holds `value` (created, overwritten, or its TTL changed).
  put = 1,
  /// The key was erased by a caller.
  erase,
  /// The key's TTL ran out and the sweep removed it.
  expire,
  /// Every key of the namespace was removed (`key` is empty).
  clear,
};

std::string to_string(change_kind kind);

struct change_record {
  change_kind kind = change_kind::put;
  std::string key;
  /// The namespace revision this change belongs to.
  uint64_t version = 0;
  /// The new value for `put`; empty otherwise.
  std::string value;
  /// The new absolute expiry for `put`; none otherwise.
  caf::optional<caf::timestamp> expires_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_record& x) {
  return f(caf::meta::type_name("change_record"), x.kind, x.key, x.version,
           x.value, x.expires_at);
}

} // namespace statekeeper
