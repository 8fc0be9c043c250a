#include "actors/log.hpp"

#include <cerrno>
#include <string>

#include <unistd.h>

#include "messages/utf8.hpp"

namespace statekeeper {

void log(log_level level, std::string_view text) {
  std::string line = level == log_level::warning ? "statekeeper: warning: "
                                                 : "statekeeper: error: ";
  line += printable(text);
  line += '\n';
  // The whole line in one write where the kernel takes it; the rest of a
  // short write follows. A failed write has nowhere else to go.
  size_t done = 0;
  while (done < line.size()) {
    auto n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n > 0)
      done += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR)
      continue;
    else
      break;
  }
}

} // namespace statekeeper
