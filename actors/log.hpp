// How the service reports what no caller is waiting to hear: an owner that
// died, a write the database refuses for good, writes lost at shutdown. One
// line on standard error, "statekeeper: warning: ..." or
// "statekeeper: error: ...", handed to the kernel whole (one write, retried
// only for what it did not take), so that lines from several threads do not
// interleave in practice. Any thread.
#pragma once

#include <string_view>

namespace statekeeper {

enum class log_level { warning, error };

/// Writes `text` (escaped to printable UTF-8, see messages/utf8.hpp) as one
/// line.
void log(log_level level, std::string_view text);

} // namespace statekeeper
