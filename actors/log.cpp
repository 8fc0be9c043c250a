#include "actors/log.hpp"

#include <string>

#include <unistd.h>

#include "messages/utf8.hpp"

namespace statekeeper {

void log(log_level level, std::string_view text) {
  std::string line = level == log_level::warning ? "statekeeper: warning: "
                                                 : "statekeeper: error: ";
  line += printable(text);
  line += '\n';
  // One write: a line is never split by another thread's. A failed write
  // has nowhere else to go.
  auto written = ::write(STDERR_FILENO, line.data(), line.size());
  static_cast<void>(written);
}

} // namespace statekeeper
