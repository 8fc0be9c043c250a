// Configuration of a statekeeper service instance. Plain values, copied into
// the actors at spawn time; the standalone binary maps each field to a
// `statekeeper.*` option (see app/config.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <caf/error.hpp>
#include <caf/timestamp.hpp>

namespace statekeeper {

/// Size and count limits. Exceeding one is `limit_exceeded` naming it.
struct service_limits {
  /// Longest key, in bytes. Default: 4096.
  size_t max_key_bytes = 4096;
  /// Largest value, in bytes. Default: 1 MiB.
  size_t max_value_bytes = 1024 * 1024;
  /// Longest rendered namespace, in bytes. Default: 1024.
  size_t max_namespace_bytes = 1024;
  /// Most keys or items in one get_many, put_many or erase_many. Default: 1000.
  size_t max_batch = 1000;
  /// Largest `limit` of one list_keys or scan page. Default: 1000.
  uint32_t max_page = 1000;
  /// Longest TTL. Default: 100 years (keeps expiry times representable).
  caf::timespan max_ttl = std::chrono::hours{24 * 365 * 100};
};

struct service_options {
  service_limits limits;
  /// How often the timer asks every namespace to evict expired entries.
  /// Expired entries are invisible before that; the sweep frees their
  /// memory. Default: 1 s.
  caf::timespan sweep_interval = std::chrono::seconds{1};
  /// Most entries one namespace evicts per sweep message; a namespace with
  /// more expired entries queues another sweep behind waiting requests.
  /// Default: 1000.
  size_t sweep_batch = 1000;
  /// Run every namespace actor on an OS thread of its own (CAF `detached`),
  /// for backends that must always be called from the same thread. Costs one
  /// thread per active namespace. Default: false (cooperative scheduler).
  bool pin_namespaces = false;
  /// How long the router waits for namespace actors when it asks them on a
  /// caller's behalf (list_namespaces). Default: 10 s.
  caf::timespan internal_timeout = std::chrono::seconds{10};
};

/// Checks `opts` for values that cannot work (zero limits, non-positive
/// intervals). Returns `invalid_argument` naming the option, or none.
[[nodiscard]] caf::error validate(const service_options& opts);

} // namespace statekeeper
