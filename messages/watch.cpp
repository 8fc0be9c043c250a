#include "messages/watch.hpp"

namespace statekeeper {

std::string to_string(watch_event_kind kind) {
  switch (kind) {
  case watch_event_kind::put:
    return "put";
  case watch_event_kind::erase:
    return "erase";
  case watch_event_kind::expire:
    return "expire";
  case watch_event_kind::clear:
    return "clear";
  case watch_event_kind::snapshot_done:
    return "snapshot_done";
  case watch_event_kind::progress:
    return "progress";
  case watch_event_kind::dropped:
    return "dropped";
  }
  return "unknown";
}

} // namespace statekeeper
