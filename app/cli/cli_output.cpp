#include "app/cli/cli_output.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

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
  json::add_entry(obj, found);
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

std::string render_members(output_format format,
                           const std::vector<member_status>& members) {
  auto age_ms = [](const member_status& x) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               x.heartbeat_age)
        .count();
  };
  if (format == output_format::plain) {
    std::string out;
    for (auto& x : members)
      out +=
          line(x.member.name + "\t" + x.member.address + ":" +
               std::to_string(x.member.port) + "\t" +
               (x.live ? "live" : "dead") + "\t" +
               std::to_string(x.namespaces) + "\t" + std::to_string(age_ms(x)));
    return out;
  }
  boost::json::array all;
  for (auto& x : members)
    all.emplace_back(boost::json::object{{"name", view(x.member.name)},
                                         {"address", view(x.member.address)},
                                         {"port", x.member.port},
                                         {"id", x.member.id},
                                         {"live", x.live},
                                         {"namespaces", x.namespaces},
                                         {"heartbeat_age_ms", age_ms(x)}});
  return line(boost::json::object{{"members", std::move(all)}});
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
  return std::string{marker} + json::encode_base64(bytes);
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
        out += "\texpires=" + json::format_utc(*event.expires_at);
    } else if (event.kind == watch_event_kind::dropped) {
      out += '\t' + event.value;
    }
    return line(out);
  }
  return line(json::event(event));
}

} // namespace statekeeper::cli
