// Durations as people type them ("500ms", "5s", "2m", "1h"): the one parser
// of statekeeper-cli's options and the HTTP gateway's TTLs. Pure; any
// thread.
#pragma once

#include <optional>
#include <string_view>

#include <caf/timespan.hpp>

namespace statekeeper {

/// Parses a positive duration: a whole number followed by ms, s, m or h.
/// Returns none for anything else, zero, or a value too large for a
/// timespan.
[[nodiscard]] std::optional<caf::timespan>
parse_duration(std::string_view text);

} // namespace statekeeper
