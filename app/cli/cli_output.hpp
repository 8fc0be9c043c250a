// What statekeeper-cli prints on standard output: the result of each
// operation, and each event of a watch, as plain text or as one line of JSON
// (the usage texts are in app/cli/cli_usage.hpp). Messages for standard error
// are the caller's. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/timestamp.hpp>

#include "messages/cluster.hpp"
#include "messages/entry.hpp"
#include "messages/namespace_path.hpp"
#include "messages/watch.hpp"

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

/// cluster: one member per line, tab-separated: name, address:port,
/// live|dead, namespaces owned, milliseconds since its heartbeat; JSON
/// {"members":[{...}]}.
std::string render_members(output_format format,
                           const std::vector<member_status>& members);

/// exists: "yes" or "no"; JSON {"exists":bool}.
std::string render_exists(output_format format, bool exists);

/// clear: the number removed; JSON {"removed":N}.
std::string render_removed(output_format format, uint64_t removed);

/// expire, persist: plain "ok" or nothing when absent; JSON {"found":bool}.
std::string render_found(output_format format, bool found);

/// watch: one event and a newline. Plain: tab-separated fields,
///   put:           "put", REVISION, KEY, VALUE, then "expires=" and the
///                  expiry in ISO-8601 UTC if the entry has a TTL;
///   erase, expire: the kind, REVISION, KEY;
///   the others:    the kind and REVISION (dropped: then the reason).
/// A key or value is printed as it is unless it is not valid UTF-8, holds a
/// tab, CR or LF, or starts with "base64:"; then as "base64:" and its
/// base64, so that every event is one line. JSON: {"event", "revision"},
/// plus for put "key", "value" (or "value_base64" when the value is not
/// UTF-8), "version", "expires_at" (ISO-8601 UTC or null); for erase and
/// expire "key"; for dropped "reason".
std::string render_event(output_format format, const watch_event& event);

} // namespace statekeeper::cli
