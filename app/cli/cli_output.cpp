#include "app/cli/cli_output.hpp"

#include <cstdio>
#include <ctime>
#include <utility>

#include <boost/json.hpp>

namespace statekeeper::cli {

namespace {

std::string line(const boost::json::object& obj) {
  return boost::json::serialize(obj) + "\n";
}

std::string line(std::string_view text) {
  std::string out{text};
  out += '\n';
  return out;
}

boost::json::string_view view(const std::string& text) {
  return {text.data(), text.size()};
}

} // namespace

std::string render_entry(output_format format, const namespace_path& ns,
                         const entry& found, bool raw) {
  if (format == output_format::plain)
    return raw ? found.value : line(found.value);
  boost::json::object obj;
  obj["namespace"] = view(render(ns));
  obj["key"] = view(found.key);
  if (is_valid_utf8(found.value))
    obj["value"] = view(found.value);
  else
    obj["value_base64"] = view(encode_base64(found.value));
  obj["version"] = found.version;
  if (found.expires_at)
    obj["expires_at"] = view(format_utc(*found.expires_at));
  else
    obj["expires_at"] = nullptr;
  return line(obj);
}

std::string render_absent(output_format format, const namespace_path& ns,
                          const std::string& key) {
  if (format == output_format::plain)
    return {};
  boost::json::object obj;
  obj["namespace"] = view(render(ns));
  obj["key"] = view(key);
  obj["found"] = false;
  return line(obj);
}

std::string render_version(output_format format, uint64_t version) {
  if (format == output_format::plain)
    return line(std::to_string(version));
  return line(boost::json::object{{"version", version}});
}

std::string render_erased(output_format format, bool erased) {
  if (format == output_format::plain)
    return erased ? line("erased") : std::string{};
  return line(boost::json::object{{"erased", erased}});
}

std::string render_keys(output_format format, const key_page& page) {
  if (format == output_format::plain) {
    std::string out;
    for (auto& key : page.keys)
      out += line(key);
    return out;
  }
  boost::json::array keys;
  for (auto& key : page.keys)
    keys.emplace_back(view(key));
  return line(
      boost::json::object{{"keys", std::move(keys)}, {"more", page.more}});
}

std::string render_namespaces(output_format format,
                              const std::vector<namespace_path>& found) {
  if (format == output_format::plain) {
    std::string out;
    for (auto& ns : found)
      out += line(render(ns));
    return out;
  }
  boost::json::array names;
  for (auto& ns : found)
    names.emplace_back(view(render(ns)));
  return line(boost::json::object{{"namespaces", std::move(names)}});
}

std::string render_count(output_format format, uint64_t count) {
  if (format == output_format::plain)
    return line(std::to_string(count));
  return line(boost::json::object{{"count", count}});
}

std::string render_exists(output_format format, bool exists) {
  if (format == output_format::plain)
    return line(exists ? "yes" : "no");
  return line(boost::json::object{{"exists", exists}});
}

std::string render_removed(output_format format, uint64_t removed) {
  if (format == output_format::plain)
    return line(std::to_string(removed));
  return line(boost::json::object{{"removed", removed}});
}

std::string render_found(output_format format, bool found) {
  if (format == output_format::plain)
    return found ? line("ok") : std::string{};
  return line(boost::json::object{{"found", found}});
}

namespace {

// A key or value as one tab-separated field (see render_event).
std::string field(const std::string& bytes) {
  static constexpr std::string_view marker = "base64:";
  if (is_valid_utf8(bytes) &&
      bytes.find_first_of("\t\r\n") == std::string::npos &&
      bytes.compare(0, marker.size(), marker) != 0)
    return bytes;
  return std::string{marker} + encode_base64(bytes);
}

} // namespace

std::string render_event(output_format format, const watch_event& event) {
  auto kind = to_string(event.kind);
  bool keyed = event.kind == watch_event_kind::put ||
               event.kind == watch_event_kind::erase ||
               event.kind == watch_event_kind::expire;
  if (format == output_format::plain) {
    auto out = kind + '\t' + to_string(event.cursor());
    if (keyed)
      out += '\t' + field(event.key);
    if (event.kind == watch_event_kind::put) {
      out += '\t' + field(event.value);
      if (event.expires_at)
        out += "\texpires=" + format_utc(*event.expires_at);
    } else if (event.kind == watch_event_kind::dropped) {
      out += '\t' + event.value;
    }
    return line(out);
  }
  boost::json::object obj;
  obj["event"] = view(kind);
  obj["revision"] = event.revision;
  obj["cursor"] = to_string(event.cursor());
  if (keyed)
    obj["key"] = view(event.key);
  if (event.kind == watch_event_kind::put) {
    if (is_valid_utf8(event.value))
      obj["value"] = view(event.value);
    else
      obj["value_base64"] = view(encode_base64(event.value));
    obj["version"] = event.version;
    if (event.expires_at)
      obj["expires_at"] = view(format_utc(*event.expires_at));
    else
      obj["expires_at"] = nullptr;
  } else if (event.kind == watch_event_kind::dropped) {
    obj["reason"] = view(event.value);
  }
  return line(obj);
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

std::string encode_base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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

} // namespace statekeeper::cli
