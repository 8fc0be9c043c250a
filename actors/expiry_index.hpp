// The expiry index of one namespace: which keys expire when, ordered by time,
// so that finding expired keys costs O(expired), not O(keys). Owned by one
// namespace's keyspace; not thread-safe.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

namespace statekeeper {

class expiry_index {
 public:
  /// Records that `key` expires at `at`, or never (none), replacing what was
  /// recorded before.
  void set(const std::string& key, caf::optional<caf::timestamp> at);

  /// Forgets `key`.
  void remove(const std::string& key);

  /// Forgets every key.
  void clear();

  /// Returns how many keys have expired at `now`. O(result).
  [[nodiscard]] size_t count_expired(caf::timestamp now) const;

  /// Returns up to `max` keys that have expired at `now`, earliest first.
  [[nodiscard]] std::vector<std::string> expired(caf::timestamp now,
                                                 size_t max) const;

  /// Returns true if any key has expired at `now`. O(1).
  [[nodiscard]] bool any_expired(caf::timestamp now) const;

  /// Returns the earliest expiry recorded, or none. O(1).
  [[nodiscard]] caf::optional<caf::timestamp> earliest() const;

 private:
  std::set<std::pair<caf::timestamp, std::string>> by_time_;
  std::unordered_map<std::string, caf::timestamp> by_key_;
};

} // namespace statekeeper
