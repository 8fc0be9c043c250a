// UTF-8 checks for text that comes from outside: keys, namespace segments,
// and anything an error message repeats back to a caller. Pure functions;
// any thread.
#pragma once

#include <string>
#include <string_view>

namespace statekeeper {

/// Returns true if `text` is well-formed UTF-8 (no overlongs, no surrogates).
[[nodiscard]] bool is_valid_utf8(std::string_view text);

/// Returns `text` with every byte that is not part of well-formed UTF-8, and
/// every control character, written as `\xNN`: the result is printable,
/// valid UTF-8 whatever `text` holds (so it can go into a message or JSON).
/// Printable text passes unchanged, so applying it twice changes nothing.
[[nodiscard]] std::string printable(std::string_view text);

} // namespace statekeeper
