// A namespace: a tenant followed by zero or more scope segments, e.g.
// acme / agent-a / conv-1. Plain value type; any thread.
//
// Rendered form: segments joined by '/', with '%' written as "%25" and '/' as
// "%2F" inside a segment. Every namespace has exactly one rendered form and
// `parse_namespace(render(ns)) == ns` for any segments, including ones that
// hold '/', ':' or '%'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/utf8.hpp"

namespace statekeeper {

/// Names the namespace an operation acts on. A plain store id is a namespace
/// with a tenant and no scopes: `namespace_path{"my-store"}`.
struct namespace_path {
  namespace_path() = default;

  namespace_path(std::string tenant, std::vector<std::string> scopes = {})
      : tenant(std::move(tenant)), scopes(std::move(scopes)) {
    // nop
  }

  /// Required, non-empty UTF-8.
  std::string tenant;
  /// Zero or more non-empty UTF-8 segments below the tenant.
  std::vector<std::string> scopes;
};

bool operator==(const namespace_path& x, const namespace_path& y);
bool operator!=(const namespace_path& x, const namespace_path& y);
bool operator<(const namespace_path& x, const namespace_path& y);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, namespace_path& x) {
  return f(caf::meta::type_name("namespace_path"), x.tenant, x.scopes);
}

/// Returns the canonical rendered form of `ns` (see the file comment). Does
/// not validate: render a namespace that `validate_namespace` accepted.
std::string render(const namespace_path& ns);

/// Parses a rendered namespace. Errors: `invalid_argument` naming the problem
/// (empty input, empty segment, an escape other than %25 or %2F, invalid
/// UTF-8).
caf::expected<namespace_path> parse_namespace(std::string_view rendered);

/// Checks that the tenant and every scope are non-empty, valid UTF-8.
/// Returns an `invalid_argument` error naming the offending field, or none.
[[nodiscard]] caf::error validate_namespace(const namespace_path& ns);

/// Returns true if `ns` equals `prefix` or lies below it. An empty prefix
/// (no tenant, no scopes) contains every namespace.
[[nodiscard]] bool is_within(const namespace_path& ns,
                             const namespace_path& prefix);

} // namespace statekeeper
