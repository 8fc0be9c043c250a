// Service counters a caller can read with `stats` (see interfaces.hpp).
// Plain value; any thread.
#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace statekeeper {

struct service_stats {
  /// Namespace actors currently running.
  uint64_t active_namespaces = 0;
  /// PostgreSQL transactions committed by the persistence actors.
  uint64_t commits = 0;
  /// Write batches those transactions carried (> commits: group commit).
  uint64_t batches = 0;
  /// Transactions that failed.
  uint64_t commit_failures = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_stats& x) {
  return f(caf::meta::type_name("service_stats"), x.active_namespaces,
           x.commits, x.batches, x.commit_failures);
}

} // namespace statekeeper
