#include "messages/session.hpp"

#include <sys/random.h>

#include <cerrno>

namespace statekeeper {

caf::optional<session_key> make_session_key() {
  session_key key;
  auto out = reinterpret_cast<unsigned char*>(&key);
  size_t filled = 0;
  while (filled < sizeof(key)) {
    auto n = getrandom(out + filled, sizeof(key) - filled, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      // No randomness means no secret: refuse rather than hand out a
      // guessable key.
      return caf::none;
    }
    filled += static_cast<size_t>(n);
  }
  return key;
}

bool same_key(const session_key& x, const session_key& y) {
  return ((x.hi ^ y.hi) | (x.lo ^ y.lo)) == 0;
}

} // namespace statekeeper
