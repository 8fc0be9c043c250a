#include "actors/keyspace.hpp"

#include <algorithm>

#include <string_view>
#include <unordered_set>

#include "messages/error.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper {

namespace {

// Keys can be long; errors quote at most this many bytes of them.
constexpr size_t quoted_key_bytes = 64;

std::string quote(const std::string& key) {
  if (key.size() <= quoted_key_bytes)
    return '"' + key + '"';
  return '"' + key.substr(0, quoted_key_bytes) + "...\"";
}

bool is_live(const stored_entry& e, caf::timestamp now) {
  return !e.expires_at || *e.expires_at > now;
}

caf::error mismatch(const std::string& key, uint64_t actual,
                    uint64_t expected) {
  return make_error(error_code::revision_mismatch,
                    "key " + quote(key) + " is at version " +
                        std::to_string(actual) + ", expected " +
                        std::to_string(expected));
}

// Says which item of a batch an error is about.
caf::error in_item(caf::error err, size_t index) {
  return make_error(code_of(err),
                    "item " + std::to_string(index) + ": " + context_of(err));
}

caf::error too_large(const char* what, size_t size, size_t limit,
                     const char* option) {
  return make_error(error_code::limit_exceeded,
                    std::string{what} + " is " + std::to_string(size) +
                        " bytes, limit is " + std::to_string(limit) + " (" +
                        option + ")");
}

} // namespace

keyspace::keyspace(std::shared_ptr<namespace_store> store,
                   const service_limits& lim)
    : store_(std::move(store)), limits_(lim) {
  store_->scan("", "", [this](const std::string& key, const stored_entry& e) {
    if (e.expires_at)
      expiries_.set(key, e.expires_at);
    return true;
  });
}

entry keyspace::to_entry(const std::string& key, const stored_entry& stored) {
  return entry{key, stored.value, stored.version, stored.expires_at};
}

// -- validation ---------------------------------------------------------------

caf::error keyspace::check_key(const std::string& key) const {
  if (key.empty())
    return make_error(error_code::invalid_argument, "key is empty");
  if (key.size() > limits_.max_key_bytes)
    return too_large("key", key.size(), limits_.max_key_bytes, "max-key-bytes");
  if (!is_valid_utf8(key))
    return make_error(error_code::invalid_argument,
                      "key " + quote(key) + " is not valid UTF-8");
  return caf::none;
}

caf::error keyspace::check_write(const std::string& key,
                                 const std::string& value,
                                 const ttl_option& ttl) const {
  if (auto err = check_key(key))
    return err;
  if (value.size() > limits_.max_value_bytes)
    return too_large(("value of key " + quote(key)).c_str(), value.size(),
                     limits_.max_value_bytes, "max-value-bytes");
  return check_ttl(key, ttl);
}

caf::error keyspace::check_ttl(const std::string& key,
                               const ttl_option& ttl) const {
  if (ttl && ttl->count() <= 0)
    return make_error(error_code::invalid_argument,
                      "ttl of key " + quote(key) + " must be positive, got " +
                          std::to_string(ttl->count()) + " ns");
  if (ttl && *ttl > limits_.max_ttl)
    return make_error(error_code::limit_exceeded,
                      "ttl of key " + quote(key) +
                          " exceeds the limit (max-ttl)");
  return caf::none;
}

caf::error keyspace::check_batch(size_t size) const {
  if (size > limits_.max_batch)
    return make_error(error_code::limit_exceeded,
                      "batch has " + std::to_string(size) +
                          " items, limit is " +
                          std::to_string(limits_.max_batch) + " (max-batch)");
  return caf::none;
}

caf::optional<caf::timestamp> keyspace::expiry_of(const ttl_option& ttl,
                                                  caf::timestamp now) const {
  if (!ttl)
    return caf::none;
  return now + *ttl;
}

// -- the apply path -----------------------------------------------------------

uint64_t keyspace::commit(std::vector<change_record> batch) {
  auto next = store_->revision() + 1;
  for (auto& change : batch)
    change.version = next;
  staged_ = std::move(batch);
  return next;
}

std::optional<std::vector<change_record>> keyspace::take_staged() {
  auto result = std::move(staged_);
  staged_.reset();
  return result;
}

caf::error keyspace::apply(const std::vector<change_record>& changes) {
  if (changes.empty())
    return caf::none;
  return apply_as(changes, changes.front().version);
}

std::vector<change_record>
keyspace::undo_of(const std::vector<change_record>& changes) const {
  std::vector<change_record> undo;
  auto restore = [&undo](const std::string& key, const stored_entry* before) {
    if (before == nullptr)
      undo.push_back(change_record{change_kind::erase, key, 0, {}, caf::none});
    else
      undo.push_back(change_record{change_kind::put, key, before->version,
                                   before->value, before->expires_at});
  };
  auto clears = std::any_of(changes.begin(), changes.end(), [](auto& c) {
    return c.kind == change_kind::clear;
  });
  if (clears) {
    undo.push_back(change_record{change_kind::clear, {}, 0, {}, caf::none});
    store_->scan("", "", [&](const std::string& key, const stored_entry& e) {
      restore(key, &e);
      return true;
    });
    return undo;
  }
  std::unordered_set<std::string_view> seen;
  for (auto& change : changes)
    if (seen.insert(change.key).second)
      restore(change.key, store_->find(change.key));
  return undo;
}

caf::error keyspace::revert(const std::vector<change_record>& undo,
                            uint64_t revision) {
  return apply_as(undo, revision);
}

caf::error keyspace::apply_as(const std::vector<change_record>& changes,
                              uint64_t revision) {
  try {
    if (auto err = store_->apply(changes, revision))
      return err;
  } catch (const std::exception& ex) {
    return make_error(error_code::internal,
                      std::string{"backend threw: "} + ex.what());
  }
  for (auto& change : changes) {
    switch (change.kind) {
    case change_kind::put:
      expiries_.set(change.key, change.expires_at);
      break;
    case change_kind::erase:
    case change_kind::expire:
      expiries_.remove(change.key);
      break;
    case change_kind::clear:
      expiries_.clear();
      break;
    }
  }
  return caf::none;
}

const stored_entry* keyspace::live(const std::string& key,
                                   caf::timestamp now) const {
  auto found = store_->find(key);
  if (found == nullptr || !is_live(*found, now))
    return nullptr;
  return found;
}

uint64_t keyspace::write(const std::string& key, std::string value,
                         ttl_option ttl, caf::timestamp now) {
  std::vector<change_record> batch(1);
  batch[0].kind = change_kind::put;
  batch[0].key = key;
  batch[0].value = std::move(value);
  batch[0].expires_at = expiry_of(ttl, now);
  return commit(std::move(batch));
}

// -- single-key operations ----------------------------------------------------

caf::expected<caf::optional<entry>> keyspace::get(const std::string& key,
                                                  caf::timestamp now) const {
  if (auto err = check_key(key))
    return err;
  auto found = live(key, now);
  if (found == nullptr)
    return caf::optional<entry>{};
  return caf::optional<entry>{to_entry(key, *found)};
}

caf::expected<bool> keyspace::contains(const std::string& key,
                                       caf::timestamp now) const {
  if (auto err = check_key(key))
    return err;
  return live(key, now) != nullptr;
}

caf::expected<uint64_t> keyspace::put(const std::string& key, std::string value,
                                      ttl_option ttl, caf::timestamp now) {
  if (auto err = check_write(key, value, ttl))
    return err;
  return write(key, std::move(value), ttl, now);
}

caf::expected<uint64_t> keyspace::create(const std::string& key,
                                         std::string value, ttl_option ttl,
                                         caf::timestamp now) {
  if (auto err = check_write(key, value, ttl))
    return err;
  if (live(key, now) != nullptr)
    return make_error(error_code::already_exists,
                      "key " + quote(key) + " already exists");
  return write(key, std::move(value), ttl, now);
}

caf::expected<uint64_t> keyspace::update(const std::string& key,
                                         std::string value,
                                         uint64_t expected_version,
                                         ttl_option ttl, caf::timestamp now) {
  if (auto err = check_write(key, value, ttl))
    return err;
  auto found = live(key, now);
  if (found == nullptr)
    return make_error(error_code::not_found, "key " + quote(key));
  if (found->version != expected_version)
    return mismatch(key, found->version, expected_version);
  return write(key, std::move(value), ttl, now);
}

caf::expected<bool> keyspace::erase(const std::string& key,
                                    caf::timestamp now) {
  if (auto err = check_key(key))
    return err;
  if (live(key, now) == nullptr)
    return false;
  commit({change_record{change_kind::erase, key, 0, {}, {}}});
  return true;
}

caf::expected<bool> keyspace::erase_if(const std::string& key,
                                       uint64_t expected_version,
                                       caf::timestamp now) {
  if (auto err = check_key(key))
    return err;
  auto found = live(key, now);
  if (found == nullptr)
    return false;
  if (found->version != expected_version)
    return mismatch(key, found->version, expected_version);
  commit({change_record{change_kind::erase, key, 0, {}, {}}});
  return true;
}

caf::expected<bool> keyspace::expire(const std::string& key, caf::timespan ttl,
                                     caf::timestamp now) {
  if (auto err = check_key(key))
    return err;
  if (auto err = check_ttl(key, ttl))
    return err;
  auto found = live(key, now);
  if (found == nullptr)
    return false;
  write(key, found->value, ttl, now);
  return true;
}

caf::expected<bool> keyspace::persist(const std::string& key,
                                      caf::timestamp now) {
  if (auto err = check_key(key))
    return err;
  auto found = live(key, now);
  if (found == nullptr)
    return false;
  if (!found->expires_at)
    return true;
  write(key, found->value, caf::none, now);
  return true;
}

// -- batches ------------------------------------------------------------------

caf::expected<std::vector<entry>>
keyspace::get_many(const std::vector<std::string>& keys,
                   caf::timestamp now) const {
  if (auto err = check_batch(keys.size()))
    return err;
  std::vector<entry> result;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& key = keys[i];
    if (auto err = check_key(key))
      return in_item(std::move(err), i);
    if (!seen.insert(key).second)
      continue;
    if (auto found = live(key, now))
      result.push_back(to_entry(key, *found));
  }
  return result;
}

caf::expected<std::vector<uint64_t>>
keyspace::put_many(std::vector<put_item> items, caf::timestamp now) {
  if (auto err = check_batch(items.size()))
    return err;
  // One rule with transactions: a batch that writes a key twice is
  // refused, since no order of its items is "the" outcome.
  std::unordered_set<std::string_view> written;
  for (size_t i = 0; i < items.size(); ++i) {
    if (auto err = check_write(items[i].key, items[i].value, items[i].ttl))
      return in_item(std::move(err), i);
    if (!written.insert(items[i].key).second)
      return in_item(make_error(error_code::invalid_argument,
                                "key is written twice in one batch"),
                     i);
  }
  if (items.empty())
    return std::vector<uint64_t>{};
  std::vector<change_record> batch;
  batch.reserve(items.size());
  for (auto& item : items)
    batch.push_back(change_record{change_kind::put, std::move(item.key), 0,
                                  std::move(item.value),
                                  expiry_of(item.ttl, now)});
  auto committed = commit(std::move(batch));
  return std::vector<uint64_t>(items.size(), committed);
}

caf::expected<uint64_t>
keyspace::erase_many(const std::vector<std::string>& keys, caf::timestamp now) {
  if (auto err = check_batch(keys.size()))
    return err;
  std::vector<change_record> batch;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& key = keys[i];
    if (auto err = check_key(key))
      return in_item(std::move(err), i);
    if (seen.insert(key).second && live(key, now) != nullptr)
      batch.push_back(change_record{change_kind::erase, key, 0, {}, {}});
  }
  if (batch.empty())
    return uint64_t{0};
  auto erased = batch.size();
  commit(std::move(batch));
  return uint64_t{erased};
}

// -- listing ------------------------------------------------------------------

caf::expected<bool> keyspace::page(
    const std::string& prefix, const std::string& after, uint32_t limit,
    caf::timestamp now,
    const std::function<void(const std::string&, const stored_entry&)>& add)
    const {
  if (limit == 0)
    return make_error(error_code::invalid_argument, "limit must be at least 1");
  if (limit > limits_.max_page)
    return make_error(error_code::limit_exceeded,
                      "limit is " + std::to_string(limit) + ", at most " +
                          std::to_string(limits_.max_page) +
                          " per page (max-page)");
  uint32_t taken = 0;
  bool more = false;
  store_->scan(prefix, after,
               [&](const std::string& key, const stored_entry& stored) {
                 if (!is_live(stored, now))
                   return true;
                 if (taken == limit) {
                   more = true;
                   return false;
                 }
                 add(key, stored);
                 ++taken;
                 return true;
               });
  return more;
}

caf::expected<key_page> keyspace::list_keys(const std::string& prefix,
                                            const std::string& after,
                                            uint32_t limit,
                                            caf::timestamp now) const {
  key_page result;
  auto more = page(prefix, after, limit, now,
                   [&](const std::string& key, const stored_entry&) {
                     result.keys.push_back(key);
                   });
  if (!more)
    return std::move(more.error());
  result.more = *more;
  return result;
}

caf::expected<entry_page> keyspace::scan(const std::string& prefix,
                                         const std::string& after,
                                         uint32_t limit,
                                         caf::timestamp now) const {
  entry_page result;
  auto more = page(prefix, after, limit, now,
                   [&](const std::string& key, const stored_entry& stored) {
                     result.entries.push_back(to_entry(key, stored));
                   });
  if (!more)
    return std::move(more.error());
  result.more = *more;
  return result;
}

uint64_t keyspace::key_count(caf::timestamp now) const {
  return store_->size() - expiries_.count_expired(now);
}

caf::expected<uint64_t> keyspace::clear(caf::timestamp now) {
  // Nothing live: nothing changes (the sweep removes expired leftovers).
  auto live_count = key_count(now);
  if (live_count == 0)
    return uint64_t{0};
  commit({change_record{change_kind::clear, {}, 0, {}, {}}});
  return live_count;
}

void keyspace::visit_live(
    const std::string& prefix, caf::timestamp now,
    const std::function<void(const std::string&, const stored_entry&)>& visit)
    const {
  store_->scan(prefix, "", [&](const std::string& key, const stored_entry& e) {
    if (is_live(e, now))
      visit(key, e);
    return true;
  });
}

caf::expected<size_t> keyspace::sweep(caf::timestamp now, size_t max) {
  auto keys = expiries_.expired(now, max);
  if (keys.empty())
    return size_t{0};
  std::vector<change_record> batch;
  batch.reserve(keys.size());
  for (auto& key : keys)
    batch.push_back(
        change_record{change_kind::expire, std::move(key), 0, {}, {}});
  commit(std::move(batch));
  return keys.size();
}

} // namespace statekeeper
