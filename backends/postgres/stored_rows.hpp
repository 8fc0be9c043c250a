// How statekeeper's rows in PostgreSQL read back: each column as libpq's
// text format hands it over (bigint as decimal, bytea as "\x" and hex), or
// none for SQL NULL. A stored row is outside input: whoever can write to
// the database, or a damaged page, decides what it holds. So decoding
// checks everything and refuses with an error naming the column, never
// throws. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <caf/timestamp.hpp>

#include "messages/change.hpp"
#include "messages/entry.hpp"

namespace statekeeper {

/// One column of a row in text format; none: NULL.
using stored_column = std::optional<std::string_view>;

/// The values of sk_changes.kind.
[[nodiscard]] int to_db(change_kind kind);

/// A timestamp as stored: nanoseconds since the epoch.
[[nodiscard]] int64_t to_epoch_ns(caf::timestamp ts);

/// Decodes a bytea column (hex or escape format).
[[nodiscard]] caf::expected<std::string> decode_bytea(stored_column text);

/// Returns `bytes` as a bytea in text (hex) format, "\x" and two digits a
/// byte: what decode_bytea reads.
[[nodiscard]] std::string encode_bytea(std::string_view bytes);

/// Decodes a row of sk_namespaces: revision, incarnation (the bits of the
/// unsigned value, stored as bigint). Returns (revision, incarnation).
[[nodiscard]] caf::expected<std::pair<uint64_t, uint64_t>>
decode_namespace_row(stored_column revision, stored_column incarnation);

/// Decodes a row of sk_entries: key, value, version, expires_at.
[[nodiscard]] caf::expected<entry> decode_entry_row(stored_column key,
                                                    stored_column value,
                                                    stored_column version,
                                                    stored_column expires_at);

/// Decodes a row of sk_changes: revision, kind, key, value, expires_at.
[[nodiscard]] caf::expected<change_record>
decode_change_row(stored_column revision, stored_column kind, stored_column key,
                  stored_column value, stored_column expires_at);

} // namespace statekeeper
