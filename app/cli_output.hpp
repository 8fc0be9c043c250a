// What statekeeper-cli prints on standard output: the result of each
// operation as plain text or as one line of JSON, and the usage texts.
// Messages for standard error are the caller's. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/timestamp.hpp>

#include "app/cli_args.hpp"
#include "messages/entry.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper::cli {

enum class output_format {
  /// Values and numbers as they are, one per line.
  plain,
  /// One JSON object followed by a newline.
  json,
};

/// get, found: plain, the value and a newline, or with `raw` exactly the
/// stored bytes; JSON, {"namespace", "key", "value" (or "value_base64" when
/// the value is not valid UTF-8), "version", "expires_at" (ISO-8601 UTC or
/// null)}.
std::string render_entry(output_format format, const namespace_path& ns,
                         const entry& found, bool raw);

/// get, absent: plain, nothing; JSON, {"namespace", "key", "found":false}.
std::string render_absent(output_format format, const namespace_path& ns,
                          const std::string& key);

/// put, create, update: the new version; JSON {"version":N}.
std::string render_version(output_format format, uint64_t version);

/// erase: plain "erased" or nothing when absent; JSON {"erased":bool}.
std::string render_erased(output_format format, bool erased);

/// keys: one key per line; JSON {"keys":[...],"more":bool}.
std::string render_keys(output_format format, const key_page& page);

/// namespaces: one rendered namespace per line; JSON {"namespaces":[...]}.
std::string render_namespaces(output_format format,
                              const std::vector<namespace_path>& found);

/// count: the number; JSON {"count":N}.
std::string render_count(output_format format, uint64_t count);

/// exists: "yes" or "no"; JSON {"exists":bool}.
std::string render_exists(output_format format, bool exists);

/// clear: the number removed; JSON {"removed":N}.
std::string render_removed(output_format format, uint64_t removed);

/// expire, persist: plain "ok" or nothing when absent; JSON {"found":bool}.
std::string render_found(output_format format, bool found);

/// Returns `at` in ISO-8601 UTC with milliseconds, e.g.
/// "2024-05-01T12:00:00.250Z".
std::string format_utc(caf::timestamp at);

/// Returns `bytes` in base64 (RFC 4648 alphabet, padded).
std::string encode_base64(std::string_view bytes);

/// Returns the general usage: commands, global options, exit status.
std::string usage_text();

/// Returns one command's usage: synopsis, arguments, options, output.
std::string usage_text(command_kind command);

} // namespace statekeeper::cli
