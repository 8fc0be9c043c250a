// The one error vocabulary of statekeeper, registered with CAF as the error
// category "statekeeper" so every error renders as words with its context.
// Pure values; usable from any thread.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace caf {
class actor_system_config;
} // namespace caf

namespace statekeeper {

/// What went wrong. Codes are stable: they cross the network (issue: remote).
enum class error_code : uint8_t {
  /// A field of the request is malformed (empty key, zero TTL, bad escape...).
  /// Not retryable: the same request fails the same way.
  invalid_argument = 1,
  /// The operation needs a live entry and there is none. Not retryable.
  not_found,
  /// `create` found a live entry under the key. Not retryable.
  already_exists,
  /// A compare-and-swap saw a different version. Re-read, then retry.
  revision_mismatch,
  /// A configured size or count limit was exceeded. Not retryable as is.
  limit_exceeded,
  /// The storage backend could not be reached or refused the write.
  /// Retryable: nothing of the failed operation was applied.
  storage_unavailable,
  /// No reply within the caller's deadline. Retryable; the operation may or
  /// may not have been applied.
  timeout,
  /// The caller is not allowed to touch this namespace.
  unauthorized,
  /// A bug or an unexpected failure inside the service.
  internal,
  /// A watch asked to resume from a revision older than the namespace's
  /// history, or of another incarnation of the namespace. Start over with a
  /// snapshot (a watch without a cursor).
  cursor_expired,
  /// Several nodes: another node owns the namespace (its lease is current),
  /// or this node lost the namespace to another (its lease was taken over:
  /// fenced) or is not a live member of the cluster. Retryable: nothing of
  /// the failed operation was applied; the context names the owner when it
  /// is known.
  not_owner,
};

/// The CAF error category of `error_code`.
constexpr caf::atom_value error_category = caf::atom("statekeep");

/// Returns the code's name, e.g. "revision_mismatch".
std::string to_string(error_code code);

/// Builds an error of `code` whose context says what was wrong, e.g.
/// `make_error(error_code::not_found, "key \"a\"")`.
caf::error make_error(error_code code, std::string what);

/// Builds an error of `code` without context (used by CAF's `error{code}`).
caf::error make_error(error_code code);

/// Returns true if a caller may retry the same request unchanged.
[[nodiscard]] bool is_retryable(error_code code);

/// Returns the statekeeper code of `err`, or `error_code::internal` for an
/// error of another category (for example CAF's own `sec`).
[[nodiscard]] error_code code_of(const caf::error& err);

/// Returns true if `err` carries `code` of the statekeeper category.
[[nodiscard]] bool has_code(const caf::error& err, error_code code);

/// Returns the context text of `err` ("" if it has none), e.g. "key \"a\"".
std::string context_of(const caf::error& err);

/// Translates CAF's request errors into statekeeper's: a request timeout
/// becomes `timeout` and a receiver that stopped `storage_unavailable`,
/// both saying that `who` did not answer. Other errors pass unchanged.
caf::error in_our_terms(caf::error err, const std::string& who);

/// Registers the renderer of the statekeeper category in `cfg`.
void add_error_category(caf::actor_system_config& cfg);

} // namespace statekeeper
