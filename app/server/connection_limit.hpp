// A cap on the connections the standalone service accepts, and an accept
// that does not spin when the process is out of descriptors.
//
// CAF 0.17's acceptor gives up quietly when accept fails with EMFILE, but the
// waiting connection stays in the listen queue, so the level-triggered
// multiplexer reports the listener readable again at once: a busy loop that
// starves every client until a descriptor frees up. This unit replaces the
// process's accept (the program's own definition comes first in dynamic
// symbol lookup, for libcaf_io as for everyone) so that:
// - beyond the cap, an accepted connection is closed at once;
// - on EMFILE or ENFILE, a reserved descriptor is given up for a moment to
//   accept the waiting connection and close it;
// and in both cases CAF sees EAGAIN, which it treats as "nothing to accept".
#pragma once

#include <cstddef>

namespace statekeeper {

/// Closes connections accepted while `max_connections` accepted ones are
/// open, and keeps one descriptor in reserve for the EMFILE case. Call once,
/// before the listener opens; connections are counted from then on.
void limit_connections(std::size_t max_connections);

} // namespace statekeeper
