#include "messages/watch.hpp"

#include <charconv>

namespace statekeeper {

namespace {

bool parse_number(const char* first, const char* last, uint64_t& out) {
  if (first == last)
    return false;
  auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc{} && end == last;
}

} // namespace

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

std::string to_string(const watch_cursor& x) {
  return std::to_string(x.revision) + "@" + std::to_string(x.incarnation);
}

caf::optional<watch_cursor> parse_cursor(const std::string& text) {
  auto at = text.find('@');
  if (at == std::string::npos)
    return caf::none;
  watch_cursor result;
  auto first = text.data();
  auto last = first + text.size();
  if (!parse_number(first, first + at, result.revision) ||
      !parse_number(first + at + 1, last, result.incarnation))
    return caf::none;
  return result;
}

} // namespace statekeeper
