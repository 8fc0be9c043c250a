#include "actors/expiry_index.hpp"

namespace statekeeper {

void expiry_index::set(const std::string& key,
                       caf::optional<caf::timestamp> at) {
  remove(key);
  if (!at)
    return;
  by_time_.emplace(*at, key);
  by_key_.emplace(key, *at);
}

void expiry_index::remove(const std::string& key) {
  auto i = by_key_.find(key);
  if (i == by_key_.end())
    return;
  by_time_.erase({i->second, key});
  by_key_.erase(i);
}

void expiry_index::clear() {
  by_time_.clear();
  by_key_.clear();
}

size_t expiry_index::count_expired(caf::timestamp now) const {
  size_t n = 0;
  for (auto i = by_time_.begin(); i != by_time_.end() && i->first <= now; ++i)
    ++n;
  return n;
}

std::vector<std::string> expiry_index::expired(caf::timestamp now,
                                               size_t max) const {
  std::vector<std::string> keys;
  for (auto i = by_time_.begin();
       i != by_time_.end() && i->first <= now && keys.size() < max; ++i)
    keys.push_back(i->second);
  return keys;
}

bool expiry_index::any_expired(caf::timestamp now) const {
  return !by_time_.empty() && by_time_.begin()->first <= now;
}

caf::optional<caf::timestamp> expiry_index::earliest() const {
  if (by_time_.empty())
    return caf::none;
  return by_time_.begin()->first;
}

} // namespace statekeeper
