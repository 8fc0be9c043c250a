#include "actors/access.hpp"

#include <algorithm>

#include "messages/error.hpp"

namespace statekeeper {

bool same_secret(const std::string& x, const std::string& y) {
  auto n = std::max(x.size(), y.size());
  unsigned diff = x.size() != y.size() ? 1 : 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = i < x.size() ? x[i] : 0;
    unsigned char b = i < y.size() ? y[i] : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

caf::expected<tenant_scope> tenant_of(const std::vector<access_token>& tokens,
                                      const std::string& token) {
  if (tokens.empty())
    return tenant_scope{}; // open service: tokens are ignored
  if (token.empty())
    return make_error(error_code::unauthorized,
                      "this service requires an access token");
  // Every candidate is compared, so the time taken says nothing of which
  // one matched.
  const access_token* match = nullptr;
  for (auto& candidate : tokens)
    if (same_secret(candidate.token, token))
      match = &candidate;
  if (match == nullptr)
    return make_error(error_code::unauthorized, "access token not accepted");
  if (match->tenant == "*")
    return tenant_scope{};
  return tenant_scope{match->tenant};
}

caf::error check_tenant(const tenant_scope& scope, const namespace_path& ns) {
  if (!scope || ns.tenant == *scope)
    return {};
  return make_error(error_code::unauthorized, "namespace \"" + render(ns) +
                                                  "\" is outside tenant \"" +
                                                  *scope + "\"");
}

caf::error admit(const tenant_scope& scope, list_ns_atom,
                 namespace_path& prefix) {
  // An empty prefix lists what the caller may see: its tenant.
  if (scope && prefix.tenant.empty() && prefix.scopes.empty()) {
    prefix.tenant = *scope;
    return {};
  }
  return check_tenant(scope, prefix);
}

caf::error admit(const tenant_scope&, sync_atom) {
  return {};
}

caf::error admit(const tenant_scope& scope, stats_atom) {
  if (!scope)
    return {};
  return make_error(error_code::unauthorized,
                    "service statistics need an operator token (tenant \"*\")");
}

caf::error admit(const tenant_scope& scope, members_atom) {
  if (!scope)
    return {};
  return make_error(error_code::unauthorized,
                    "the list of members needs an operator token (tenant "
                    "\"*\")");
}

size_t bytes_of(const std::string& x) {
  return x.size();
}

size_t bytes_of(const namespace_path& ns) {
  size_t n = ns.tenant.size();
  for (auto& scope : ns.scopes)
    n += scope.size();
  return n;
}

size_t bytes_of(const std::vector<std::string>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.size();
  return n;
}

caf::error request_too_large(size_t bytes, size_t max_bytes,
                             const char* option) {
  return make_error(error_code::limit_exceeded,
                    "request of " + std::to_string(bytes) + " bytes exceeds " +
                        option + " (" + std::to_string(max_bytes) + ")");
}

} // namespace statekeeper
