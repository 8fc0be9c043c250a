#include "messages/json_codec.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "messages/error.hpp"
#include "messages/utf8.hpp"

namespace statekeeper::json {

namespace {

boost::json::string_view view(const std::string& text) {
  return {text.data(), text.size()};
}

caf::error bad_field(std::string_view where, const std::string& what) {
  return make_error(error_code::invalid_argument,
                    std::string{where} + ": " + what);
}

} // namespace

void add_value(boost::json::object& obj, const std::string& bytes) {
  if (is_valid_utf8(bytes))
    obj["value"] = view(bytes);
  else
    obj["value_base64"] = encode_base64(bytes);
}

caf::expected<std::string> value_of(const boost::json::object& obj,
                                    std::string_view where) {
  auto* text = obj.if_contains("value");
  auto* encoded = obj.if_contains("value_base64");
  if ((text == nullptr) == (encoded == nullptr))
    return bad_field(where, "needs exactly one of \"value\" and "
                            "\"value_base64\"");
  if (text != nullptr) {
    if (!text->is_string())
      return bad_field(where, "\"value\" must be a string");
    auto& s = text->get_string();
    return std::string{s.data(), s.size()};
  }
  if (!encoded->is_string())
    return bad_field(where, "\"value_base64\" must be a string");
  auto& s = encoded->get_string();
  auto bytes = decode_base64({s.data(), s.size()});
  if (!bytes)
    return bad_field(where, "\"value_base64\" is not valid base64");
  return std::move(*bytes);
}

boost::json::value expiry(const caf::optional<caf::timestamp>& at) {
  if (!at)
    return nullptr;
  return boost::json::string{format_utc(*at)};
}

void add_entry(boost::json::object& obj, const entry& found) {
  obj["key"] = view(found.key);
  add_value(obj, found.value);
  obj["version"] = found.version;
  obj["expires_at"] = expiry(found.expires_at);
}

boost::json::object event(const watch_event& ev) {
  boost::json::object obj;
  obj["event"] = to_string(ev.kind);
  obj["revision"] = ev.revision;
  obj["cursor"] = to_string(ev.cursor());
  switch (ev.kind) {
  case watch_event_kind::put:
    obj["key"] = view(ev.key);
    add_value(obj, ev.value);
    obj["version"] = ev.version;
    obj["expires_at"] = expiry(ev.expires_at);
    break;
  case watch_event_kind::erase:
  case watch_event_kind::expire:
    obj["key"] = view(ev.key);
    break;
  case watch_event_kind::dropped:
    obj["reason"] = view(ev.value);
    break;
  default:
    break;
  }
  return obj;
}

boost::json::object error(const caf::error& err) {
  boost::json::object obj;
  obj["code"] = to_string(code_of(err));
  // An error of CAF's own (a bug if it reaches a caller): its rendering.
  auto context =
      err.category() == error_category ? context_of(err) : caf::to_string(err);
  obj["message"] = view(context);
  return obj;
}

std::string format_utc(caf::timestamp at) {
  using namespace std::chrono;
  auto since_epoch = at.time_since_epoch();
  auto secs = floor<seconds>(since_epoch);
  auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
  auto t = static_cast<std::time_t>(secs.count());
  std::tm parts{};
  gmtime_r(&t, &parts);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &parts);
  auto ms = std::to_string(1000 + millis).substr(1); // zero-padded to 3
  return std::string{date} + "." + ms + "Z";
}

namespace {

constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

} // namespace

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t n) { return static_cast<unsigned char>(bytes[n]); };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t group = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += alphabet[(group >> 6) & 63];
    out += alphabet[group & 63];
  }
  if (auto rest = bytes.size() - i; rest > 0) {
    uint32_t group = at(i) << 16;
    if (rest == 2)
      group |= at(i + 1) << 8;
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += rest == 2 ? alphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=')
      pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      int v = 0;
      if (j < 4 - static_cast<size_t>(pad)) {
        v = sextet(text[i + j]);
        if (v < 0)
          return std::nullopt;
      }
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    // Padding bits must be zero, so every text has one decoding and back.
    if ((pad == 1 && (group & 0xff) != 0) ||
        (pad == 2 && (group & 0xffff) != 0))
      return std::nullopt;
    out += static_cast<char>((group >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((group >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(group & 0xff);
  }
  return out;
}

} // namespace statekeeper::json
