// Service counters a caller can read with `stats` (see interfaces.hpp).
// Plain value; any thread.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace statekeeper {

/// Observations counted by the first upper bound they do not exceed, for a
/// Prometheus histogram: `counts[i]` observations were above `bounds[i - 1]`
/// and at most `bounds[i]`, and the one extra count at the end holds those
/// above the last bound.
struct histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  uint64_t count = 0;
  double sum = 0;

  histogram() = default;

  /// An empty histogram over `upper_bounds`, in increasing order.
  explicit histogram(std::vector<double> upper_bounds);

  void observe(double x);

  /// Adds the observations of `other`, which has the same bounds (or none
  /// observed).
  void merge(const histogram& other);
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram& x) {
  return f(caf::meta::type_name("histogram"), x.bounds, x.counts, x.count,
           x.sum);
}

/// Seconds a PostgreSQL transaction of the persistence actors took.
histogram commit_seconds_histogram();

/// Write batches one such transaction carried.
histogram commit_batches_histogram();

struct service_stats {
  /// Namespace actors currently running.
  uint64_t active_namespaces = 0;
  /// PostgreSQL transactions committed by the persistence actors.
  uint64_t commits = 0;
  /// Write batches those transactions carried (> commits: group commit).
  uint64_t batches = 0;
  /// Transactions that failed.
  uint64_t commit_failures = 0;
  /// Namespace actors started (a namespace loaded or created), and stopped
  /// by passivation, since the service started.
  uint64_t activations = 0;
  uint64_t passivations = 0;
  /// Entries removed by TTL sweeps.
  uint64_t expired_entries = 0;
  /// Watches open.
  uint64_t watchers = 0;
  /// Several nodes: namespace leases taken (one per load), namespaces this
  /// node gave up because their lease passed to another node or its
  /// membership lapsed, and write batches refused because their lease had
  /// passed (fenced).
  uint64_t leases_taken = 0;
  uint64_t leases_lost = 0;
  uint64_t fenced_batches = 0;
  /// Several nodes: namespaces this node handed over to the node placement
  /// prefers for them, and the live members it sees (itself included; 0 on
  /// a single node).
  uint64_t handovers = 0;
  uint64_t cluster_members = 0;
  /// How long the committed transactions took, and how many batches each
  /// carried.
  histogram commit_seconds = commit_seconds_histogram();
  histogram commit_batches = commit_batches_histogram();
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_stats& x) {
  return f(caf::meta::type_name("service_stats"), x.active_namespaces,
           x.commits, x.batches, x.commit_failures, x.activations,
           x.passivations, x.expired_entries, x.watchers, x.leases_taken,
           x.leases_lost, x.fenced_batches, x.handovers, x.cluster_members,
           x.commit_seconds, x.commit_batches);
}

} // namespace statekeeper
