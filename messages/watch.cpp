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

watch_batch::watch_batch(std::vector<watch_event> events) {
  if (events.empty())
    return;
  size_ = events.size();
  chunks_.push_back(
      std::make_shared<const std::vector<watch_event>>(std::move(events)));
}

void watch_batch::append(const watch_batch& other) {
  chunks_.insert(chunks_.end(), other.chunks_.begin(), other.chunks_.end());
  size_ += other.size_;
}

std::vector<watch_event> watch_batch::to_vector() const {
  std::vector<watch_event> result;
  result.reserve(size_);
  for (auto& c : chunks_)
    result.insert(result.end(), c->begin(), c->end());
  return result;
}

watch_batch watch_batch::take_front(size_t limit) {
  watch_batch front;
  auto i = chunks_.begin();
  for (; i != chunks_.end(); ++i) {
    if (!front.empty() && front.size_ + (*i)->size() > limit)
      break;
    front.size_ += (*i)->size();
    front.chunks_.push_back(std::move(*i));
  }
  chunks_.erase(chunks_.begin(), i);
  size_ -= front.size_;
  return front;
}

} // namespace statekeeper
