// Values carried by replies and batch requests: entries, batch items and
// pages. Plain value types; any thread. Values are arbitrary bytes held in a
// std::string (NUL and 0xFF are data like any other byte).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

namespace statekeeper {

/// One live entry as seen by a reader.
struct entry {
  std::string key;
  /// Arbitrary bytes.
  std::string value;
  /// The namespace revision of the entry's last modification. Grows with
  /// every change to the key; never repeats within a namespace.
  uint64_t version = 0;
  /// Absolute expiry (system clock), or none for an entry without TTL.
  caf::optional<caf::timestamp> expires_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("entry"), x.key, x.value, x.version,
           x.expires_at);
}

/// One write of a `put_many` batch.
struct put_item {
  std::string key;
  std::string value;
  /// Time to live, or none for no expiry. Must be positive when given.
  caf::optional<caf::timespan> ttl;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, put_item& x) {
  return f(caf::meta::type_name("put_item"), x.key, x.value, x.ttl);
}

/// A page of `list_keys`: keys in ascending byte order. When `more` is true,
/// ask again with `after` set to the last key of this page.
struct key_page {
  std::vector<std::string> keys;
  bool more = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_page& x) {
  return f(caf::meta::type_name("key_page"), x.keys, x.more);
}

/// A page of `scan`: entries in ascending key order, paged like `key_page`.
struct entry_page {
  std::vector<entry> entries;
  bool more = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry_page& x) {
  return f(caf::meta::type_name("entry_page"), x.entries, x.more);
}

} // namespace statekeeper
