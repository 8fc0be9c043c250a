#include "backends/postgres/stored_rows.hpp"

#include <charconv>
#include <memory>
#include <utility>

#include <libpq-fe.h>

#include "messages/error.hpp"

namespace statekeeper {

namespace {

caf::error corrupt(const char* column, const std::string& why) {
  return make_error(error_code::internal,
                    std::string{"stored "} + column + " is unreadable: " + why);
}

// A whole decimal bigint, nothing before or after it.
caf::expected<int64_t> decode_bigint(const char* name, stored_column text) {
  if (!text)
    return corrupt(name, "NULL");
  int64_t result = 0;
  auto first = text->data();
  auto last = first + text->size();
  auto [end, ec] = std::from_chars(first, last, result);
  if (ec != std::errc{} || end != last || text->empty())
    return corrupt(name, "not a bigint: \"" + std::string{text->substr(0, 32)} +
                             "\"");
  return result;
}

// A version or revision: never negative.
caf::expected<uint64_t> decode_count(const char* name, stored_column text) {
  auto value = decode_bigint(name, text);
  if (!value)
    return std::move(value.error());
  if (*value < 0)
    return corrupt(name, "negative: " + std::to_string(*value));
  return static_cast<uint64_t>(*value);
}

caf::expected<caf::optional<caf::timestamp>> decode_expiry(stored_column text) {
  if (!text)
    return caf::optional<caf::timestamp>{};
  auto ns = decode_bigint("expires_at", text);
  if (!ns)
    return std::move(ns.error());
  return caf::optional<caf::timestamp>{caf::timestamp{caf::timespan{*ns}}};
}

} // namespace

int to_db(change_kind kind) {
  return static_cast<int>(kind);
}

int64_t to_epoch_ns(caf::timestamp ts) {
  return ts.time_since_epoch().count();
}

std::string encode_bytea(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text = "\\x";
  text.reserve(2 + 2 * bytes.size());
  for (unsigned char c : bytes) {
    text += digits[c >> 4];
    text += digits[c & 0xF];
  }
  return text;
}

caf::expected<std::string> decode_bytea(stored_column text) {
  if (!text)
    return corrupt("bytea", "NULL");
  // libpq's unescaping needs a NUL-terminated string.
  std::string input{*text};
  size_t size = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> bytes{
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(input.c_str()),
                      &size),
      PQfreemem};
  if (!bytes)
    return corrupt("bytea", "libpq cannot unescape it");
  return std::string{reinterpret_cast<const char*>(bytes.get()), size};
}

caf::expected<std::pair<uint64_t, uint64_t>>
decode_namespace_row(stored_column revision, stored_column incarnation) {
  auto rev = decode_count("revision", revision);
  if (!rev)
    return std::move(rev.error());
  auto inc = decode_bigint("incarnation", incarnation);
  if (!inc)
    return std::move(inc.error());
  return std::make_pair(*rev, static_cast<uint64_t>(*inc));
}

caf::expected<entry> decode_entry_row(stored_column key, stored_column value,
                                      stored_column version,
                                      stored_column expires_at) {
  entry result;
  auto k = decode_bytea(key);
  if (!k)
    return std::move(k.error());
  result.key = std::move(*k);
  auto v = decode_bytea(value);
  if (!v)
    return std::move(v.error());
  result.value = std::move(*v);
  auto ver = decode_count("version", version);
  if (!ver)
    return std::move(ver.error());
  result.version = *ver;
  auto expiry = decode_expiry(expires_at);
  if (!expiry)
    return std::move(expiry.error());
  result.expires_at = *expiry;
  return result;
}

caf::expected<change_record>
decode_change_row(stored_column revision, stored_column kind, stored_column key,
                  stored_column value, stored_column expires_at) {
  change_record result;
  auto rev = decode_count("revision", revision);
  if (!rev)
    return std::move(rev.error());
  result.version = *rev;
  auto k = decode_bigint("kind", kind);
  if (!k)
    return std::move(k.error());
  bool known = false;
  for (auto x : {change_kind::put, change_kind::erase, change_kind::expire,
                 change_kind::clear})
    if (to_db(x) == *k) {
      result.kind = x;
      known = true;
    }
  if (!known)
    return corrupt("kind", "unknown change kind " + std::to_string(*k));
  auto decoded_key = decode_bytea(key);
  if (!decoded_key)
    return std::move(decoded_key.error());
  result.key = std::move(*decoded_key);
  if (value) {
    auto v = decode_bytea(value);
    if (!v)
      return std::move(v.error());
    result.value = std::move(*v);
  }
  auto expiry = decode_expiry(expires_at);
  if (!expiry)
    return std::move(expiry.error());
  result.expires_at = *expiry;
  return result;
}

} // namespace statekeeper
