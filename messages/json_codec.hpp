// The JSON form of statekeeper's values: one codec for what
// `statekeeper-cli --json` prints and what the HTTP gateway sends and
// takes. A value is a string when it is valid UTF-8, else base64 in
// "value_base64"; times are ISO-8601 UTC. Built apart from the core library
// (it needs Boost.JSON). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include "messages/entry.hpp"
#include "messages/watch.hpp"

namespace statekeeper::json {

/// Sets "value" to `bytes` if they are valid UTF-8, else "value_base64" to
/// their base64.
void add_value(boost::json::object& obj, const std::string& bytes);

/// Reads the value `add_value` wrote: "value" (a string) or "value_base64"
/// (base64), exactly one of them. Errors: invalid_argument naming `where`
/// and the field.
caf::expected<std::string> value_of(const boost::json::object& obj,
                                    std::string_view where);

/// An expiry: the time in ISO-8601 UTC, or null.
boost::json::value expiry(const caf::optional<caf::timestamp>& at);

/// Adds "key", "value" (or "value_base64"), "version" and "expires_at".
void add_entry(boost::json::object& obj, const entry& found);

/// A watch event: {"event", "revision", "cursor"}, plus for put "key",
/// "value" (or "value_base64"), "version", "expires_at"; for erase and
/// expire "key"; for dropped "reason".
boost::json::object event(const watch_event& ev);

/// An error: {"code": its name (error_code), "message": its context}.
boost::json::object error(const caf::error& err);

/// Returns `at` in ISO-8601 UTC with milliseconds, e.g.
/// "2024-05-01T12:00:00.250Z".
std::string format_utc(caf::timestamp at);

/// Returns `bytes` in base64 (RFC 4648 alphabet, padded).
std::string encode_base64(std::string_view bytes);

/// Decodes padded base64 (RFC 4648 alphabet). Returns none for anything
/// else.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace statekeeper::json
