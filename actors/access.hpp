// Who may touch what, for every front door of the service (CAF sessions,
// HTTP): access tokens resolved to the tenant they open, and the checks a
// request passes before it reaches an owner (tenant, size). Plain
// functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/atoms.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper {

/// One access token and the tenant it opens. The tenant "*" opens every
/// namespace and the service-wide operations (an operator's token).
struct access_token {
  std::string tenant;
  std::string token;
};

/// The tenant a caller may touch; none: every namespace and the
/// service-wide operations.
using tenant_scope = std::optional<std::string>;

/// Compares in a time that does not depend on where the strings differ.
[[nodiscard]] bool same_secret(const std::string& x, const std::string& y);

/// Returns the scope `token` opens among `tokens`. With no tokens the
/// service is open and every caller may touch everything (a token given is
/// ignored). Errors: unauthorized if `token` is empty or not accepted.
caf::expected<tenant_scope> tenant_of(const std::vector<access_token>& tokens,
                                      const std::string& token);

/// Returns unauthorized if `ns` is outside `scope`.
caf::error check_tenant(const tenant_scope& scope, const namespace_path& ns);

/// Checks that a caller in `scope` may send an operation: a namespace
/// operation within its tenant; `list_namespaces` with an empty prefix is
/// narrowed to the tenant; `stats` and `members` need every tenant (an
/// operator).
/// Errors: unauthorized.
template <class Atom, class... Ts>
caf::error admit(const tenant_scope& scope, Atom, namespace_path& ns, Ts&...) {
  return check_tenant(scope, ns);
}

caf::error admit(const tenant_scope& scope, list_ns_atom,
                 namespace_path& prefix);

caf::error admit(const tenant_scope& scope, sync_atom);

caf::error admit(const tenant_scope& scope, stats_atom);

caf::error admit(const tenant_scope& scope, members_atom);

// How many bytes of keys, values, prefixes and cursors a request carries.

template <class T> size_t bytes_of(const T&) {
  return 0; // atoms, numbers, TTLs
}

size_t bytes_of(const std::string& x);

size_t bytes_of(const namespace_path& ns);

size_t bytes_of(const std::vector<std::string>& xs);

// Batches and transactions: items with a key and a value.
template <class Item> size_t bytes_of(const std::vector<Item>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.key.size() + x.value.size();
  return n;
}

/// The error of check_request_bytes.
caf::error request_too_large(size_t bytes, size_t max_bytes,
                             const char* option);

/// Returns limit_exceeded naming `option` if the arguments `xs` of a
/// request carry more than `max_bytes`, or no error.
template <class... Ts>
caf::error check_request_bytes(size_t max_bytes, const char* option,
                               const Ts&... xs) {
  auto bytes = (size_t{0} + ... + bytes_of(xs));
  if (bytes <= max_bytes)
    return {};
  return request_too_large(bytes, max_bytes, option);
}

} // namespace statekeeper
