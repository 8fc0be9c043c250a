// What one group commit writes, worked out from its batches without a
// database: the final effect per key (a statement may touch each row only
// once), each namespace's revision, incarnation and history floor, and the
// change-log rows. Pure and synchronous; a durable engine encodes the plan
// into its statements. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/change.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

/// Points into the batches it was made from: valid while they are.
struct commit_plan {
  /// The final effect on one key: the last put, or an erase.
  struct key_effect {
    std::string_view ns;
    std::string_view key;
    /// The last put of the key; nullptr: the key is deleted.
    const change_record* put;
  };
  /// A namespace written by the commit.
  struct namespace_state {
    std::string_view ns;
    /// The highest revision among its batches.
    uint64_t revision;
    /// The incarnation of its last batch.
    uint64_t incarnation;
    /// The highest history floor among its batches.
    uint64_t history_floor;
    /// The lowest trimmed floor among its batches: changes up to it are
    /// deleted already.
    uint64_t trimmed_floor;
  };
  /// One change-log row.
  struct log_row {
    std::string_view ns;
    const change_record* change;
    /// Its place within its revision, from 0.
    int64_t seq;
    /// The lease epoch of its batch (persist_batch::epoch).
    uint64_t epoch;
  };
  /// Namespaces whose entries are all deleted first (a clear), sorted.
  std::vector<std::string_view> cleared;
  /// Then these effects, by namespace and key; a key at most once.
  std::vector<key_effect> effects;
  /// Sorted by namespace; each at most once.
  std::vector<namespace_state> namespaces;
  /// Every change record in order, but those at or below their namespace's
  /// history floor (the same commit would delete them at once).
  std::vector<log_row> log;
};

/// Collapses `batches`, in order, into what one transaction must write.
[[nodiscard]] commit_plan
plan_commit(const std::vector<persist_batch>& batches);

} // namespace statekeeper
