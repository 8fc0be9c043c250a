// Transactions: compares, operations and the result of a `txn` request.
// A transaction runs in one namespace, atomically, at one revision. Plain
// values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "messages/entry.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper {

enum class compare_target : uint8_t {
  /// The key's version; an absent key has version 0.
  version = 1,
  /// Whether the key holds a live entry (`exists`); op equal or not_equal.
  exists,
  /// The key's value, compared bytewise; false for an absent key.
  value,
};

enum class compare_op : uint8_t { equal = 1, not_equal, less, greater };

/// One condition of a transaction.
struct txn_compare {
  std::string key;
  compare_target target = compare_target::version;
  compare_op op = compare_op::equal;
  uint64_t version = 0;
  bool exists = true;
  std::string value;
  /// If set, must be the transaction's namespace (else invalid_argument):
  /// a transaction never spans namespaces.
  caf::optional<namespace_path> ns;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_compare& x) {
  return f(caf::meta::type_name("txn_compare"), x.key, x.target, x.op,
           x.version, x.exists, x.value, x.ns);
}

enum class txn_op_kind : uint8_t { put = 1, erase, get };

/// One operation of a transaction branch.
struct txn_op {
  txn_op_kind kind = txn_op_kind::get;
  std::string key;
  /// put: the value and optional TTL.
  std::string value;
  caf::optional<caf::timespan> ttl;
  /// As in txn_compare.
  caf::optional<namespace_path> ns;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_op& x) {
  return f(caf::meta::type_name("txn_op"), x.kind, x.key, x.value, x.ttl,
           x.ns);
}

/// What one operation did.
struct txn_op_result {
  txn_op_kind kind = txn_op_kind::get;
  std::string key;
  /// put: the new version. erase, get: whether a live entry was there.
  uint64_t version = 0;
  bool found = false;
  /// get: the entry (seeing earlier operations of the same branch).
  caf::optional<entry> value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_op_result& x) {
  return f(caf::meta::type_name("txn_op_result"), x.kind, x.key, x.version,
           x.found, x.value);
}

struct txn_result {
  /// True if every compare held and on_success ran; false: on_failure ran.
  bool succeeded = false;
  /// The namespace revision after the transaction (unchanged if the branch
  /// wrote nothing).
  uint64_t revision = 0;
  /// One per operation of the branch that ran, in order.
  std::vector<txn_op_result> results;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, txn_result& x) {
  return f(caf::meta::type_name("txn_result"), x.succeeded, x.revision,
           x.results);
}

} // namespace statekeeper
