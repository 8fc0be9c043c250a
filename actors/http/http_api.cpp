#include "actors/http/http_api.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include <boost/json.hpp>

#include "messages/duration.hpp"
#include "messages/error.hpp"
#include "messages/json_codec.hpp"
#include "messages/txn.hpp"
#include "messages/utf8.hpp"

namespace statekeeper {

namespace {

using json_object = boost::json::object;

std::string to_text(const json_object& obj) {
  return boost::json::serialize(obj);
}

http_response json_response(const json_object& obj, unsigned status = 200) {
  http_response res;
  res.status = status;
  res.body = to_text(obj);
  return res;
}

/// No token, or one not accepted: 401, asking for a bearer token.
http_response unauthenticated(const caf::error& err) {
  auto res = error_response(err);
  res.bearer_challenge = true;
  return res;
}

/// A token that is good but does not open what was asked for.
http_response forbidden(const caf::error& err) {
  auto res = error_response(err);
  res.status = 403;
  return res;
}

http_response bad_request(std::string message) {
  return http_error(400, "invalid_argument", std::move(message));
}

// -- the target ---------------------------------------------------------------

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes (and, in a query, '+' as a space); none for a
/// malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool query) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      int hi = hex_digit(in[i + 1]);
      int lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && query) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

struct parsed_target {
  /// The path's segments, decoded; "/v1/ns/a" is {"v1", "ns", "a"}.
  std::vector<std::string> path;
  std::vector<std::pair<std::string, std::string>> query;

  /// The last value of parameter `name`, if given.
  const std::string* param(std::string_view name) const {
    const std::string* found = nullptr;
    for (auto& [k, v] : query)
      if (k == name)
        found = &v;
    return found;
  }
};

std::optional<parsed_target> parse_target(std::string_view target) {
  if (target.empty() || target[0] != '/')
    return std::nullopt;
  parsed_target result;
  auto qmark = target.find('?');
  auto path = target.substr(0, qmark);
  size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    auto segment = percent_decode(path.substr(start, end - start), false);
    if (!segment)
      return std::nullopt;
    result.path.push_back(std::move(*segment));
    start = end + 1;
  }
  if (qmark == std::string_view::npos)
    return result;
  auto query = target.substr(qmark + 1);
  size_t at = 0;
  while (at < query.size()) {
    auto amp = query.find('&', at);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    auto pair = query.substr(at, end - at);
    at = end + 1;
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
        true);
    if (!name || !value)
      return std::nullopt;
    result.query.emplace_back(std::move(*name), std::move(*value));
  }
  return result;
}

template <class T> std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty())
    return std::nullopt;
  return value;
}

// -- authorization ------------------------------------------------------------

std::string bearer_token(const std::string& authorization) {
  // The scheme is case-insensitive (RFC 9110).
  static constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size())
    return {};
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return {};
  auto token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ')
    token.erase(0, 1);
  return token;
}

// -- the responses of operations
// ------------------------------------------------

std::string quoted_version(uint64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

/// An entity tag naming a version: "7" (quotes included). Weak tags and
/// lists are refused: a write needs one exact version.
caf::expected<uint64_t> version_of_etag(const std::string& tag,
                                        const char* header) {
  auto bad = [&](const char* why) {
    return make_error(error_code::invalid_argument,
                      std::string{header} + ": " + why);
  };
  if (tag.size() < 3 || tag.front() != '"' || tag.back() != '"')
    return bad("give one entity tag as the server sent it, e.g. \"7\" with "
               "the quotes");
  auto version =
      parse_number<uint64_t>(std::string_view{tag}.substr(1, tag.size() - 2));
  if (!version)
    return bad("not an entity tag of this service");
  return *version;
}

/// The failure of a conditional request: its condition did not hold.
http_response precondition_failed(const caf::error& err) {
  auto res = error_response(err);
  res.status = 412;
  return res;
}

/// The response to a failed conditional request: 412 when its condition
/// did not hold (a compare, or no entry to compare with).
http_response conditional_error(const caf::error& err) {
  auto code = code_of(err);
  if (code == error_code::revision_mismatch || code == error_code::not_found ||
      code == error_code::already_exists)
    return precondition_failed(err);
  return error_response(err);
}

/// An operation whose reply becomes `on_reply(reply)` and whose error
/// `on_error(err)`.
template <class Reply, class OnReply, class OnError, class Atom, class... Ts>
http_call call_with(const char* operation, OnReply on_reply, OnError on_error,
                    Atom atom, Ts... xs) {
  http_call call;
  call.operation = operation;
  call.run = [=](http_bridge_pointer self, http_done done) {
    ask_service<Reply>(
        self, [done, on_reply](Reply& reply) { done(on_reply(reply)); },
        [done, on_error](caf::error& err) { done(on_error(err)); }, atom,
        xs...);
  };
  if constexpr (goes_to_owner<Atom>) {
    call.owner = render(std::get<0>(std::tie(xs...)));
    call.request = caf::make_message(atom, xs...);
    call.answer = [on_reply, on_error](caf::message& msg) mutable {
      if (msg.match_elements<Reply>())
        return http_response{on_reply(msg.get_mutable_as<Reply>(0))};
      auto err = msg.match_elements<caf::error>()
                     ? msg.get_as<caf::error>(0)
                     : caf::make_error(caf::sec::unexpected_response);
      return http_response{
          on_error(in_our_terms(std::move(err), "the service"))};
    };
  }
  return call;
}

template <class Reply, class OnReply, class Atom, class... Ts>
http_call call(const char* operation, OnReply on_reply, Atom atom, Ts... xs) {
  return call_with<Reply>(operation, std::move(on_reply), error_response, atom,
                          std::move(xs)...);
}

template <class Reply, class OnReply, class Atom, class... Ts>
http_call conditional_call(const char* operation, OnReply on_reply, Atom atom,
                           Ts... xs) {
  return call_with<Reply>(operation, std::move(on_reply), conditional_error,
                          atom, std::move(xs)...);
}

http_response version_response(uint64_t version, unsigned status = 200) {
  auto res = json_response(json_object{{"version", version}}, status);
  res.etag = quoted_version(version);
  return res;
}

http_response key_not_found(const std::string& key) {
  return error_response(
      make_error(error_code::not_found,
                 "no live entry under key \"" + printable(key) + "\""));
}

// -- JSON bodies --------------------------------------------------------------

caf::expected<json_object> parse_object(const std::string& body) {
  boost::json::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec)
    return make_error(error_code::invalid_argument,
                      "the body is not JSON: " + ec.message());
  if (!value.is_object())
    return make_error(error_code::invalid_argument,
                      "the body must be a JSON object");
  return std::move(value.get_object());
}

caf::error bad_field(const std::string& what) {
  return make_error(error_code::invalid_argument, what);
}

caf::expected<std::string> string_field(const json_object& obj,
                                        std::string_view name,
                                        const std::string& where) {
  auto* v = obj.if_contains(name);
  if (v == nullptr || !v->is_string())
    return bad_field(where + ": \"" + std::string{name} +
                     "\" must be a string");
  auto& s = v->get_string();
  return std::string{s.data(), s.size()};
}

caf::expected<std::vector<std::string>> string_list(const json_object& obj,
                                                    std::string_view name) {
  auto* v = obj.if_contains(name);
  if (v == nullptr || !v->is_array())
    return bad_field("\"" + std::string{name} +
                     "\" must be an array of strings");
  std::vector<std::string> out;
  for (auto& x : v->get_array()) {
    if (!x.is_string())
      return bad_field("\"" + std::string{name} +
                       "\" must be an array of strings");
    auto& s = x.get_string();
    out.emplace_back(s.data(), s.size());
  }
  return out;
}

/// An optional "ttl" field: a duration string.
caf::expected<ttl_option> ttl_field(const json_object& obj,
                                    const std::string& where) {
  auto* v = obj.if_contains("ttl");
  if (v == nullptr || v->is_null())
    return ttl_option{};
  if (!v->is_string())
    return bad_field(where + ": \"ttl\" must be a duration such as \"30s\"");
  auto& s = v->get_string();
  auto d = parse_duration({s.data(), s.size()});
  if (!d)
    return bad_field(where + ": bad ttl \"" +
                     printable(std::string{s.data(), s.size()}) +
                     "\" (a positive whole number and ms, s, m or h)");
  return ttl_option{*d};
}

json_object entry_object(const entry& e) {
  json_object obj;
  json::add_entry(obj, e);
  return obj;
}

// -- transactions -------------------------------------------------------------

template <class Enum> struct name_of {
  const char* name;
  Enum value;
};

constexpr name_of<compare_target> compare_targets[] = {
    {"version", compare_target::version},
    {"exists", compare_target::exists},
    {"value", compare_target::value},
};

constexpr name_of<compare_op> compare_ops[] = {
    {"equal", compare_op::equal},
    {"not_equal", compare_op::not_equal},
    {"less", compare_op::less},
    {"greater", compare_op::greater},
};

constexpr name_of<txn_op_kind> op_kinds[] = {
    {"put", txn_op_kind::put},
    {"erase", txn_op_kind::erase},
    {"get", txn_op_kind::get},
};

template <class Enum, size_t N>
caf::expected<Enum> enum_field(const json_object& obj, std::string_view field,
                               const name_of<Enum> (&names)[N],
                               const std::string& where) {
  auto text = string_field(obj, field, where);
  if (!text)
    return text.error();
  for (auto& n : names)
    if (*text == n.name)
      return n.value;
  std::string allowed;
  for (auto& n : names)
    allowed += std::string{allowed.empty() ? "" : ", "} + n.name;
  return bad_field(where + ": \"" + std::string{field} + "\" must be one of " +
                   allowed);
}

template <class Enum, size_t N>
const char* enum_name(Enum value, const name_of<Enum> (&names)[N]) {
  for (auto& n : names)
    if (n.value == value)
      return n.name;
  return "?";
}

caf::expected<txn_compare> parse_compare(const boost::json::value& v,
                                         const std::string& where) {
  if (!v.is_object())
    return bad_field(where + " must be an object");
  auto& obj = v.get_object();
  txn_compare c;
  auto key = string_field(obj, "key", where);
  if (!key)
    return key.error();
  c.key = std::move(*key);
  auto target = enum_field(obj, "target", compare_targets, where);
  if (!target)
    return target.error();
  c.target = *target;
  auto op = enum_field(obj, "op", compare_ops, where);
  if (!op)
    return op.error();
  c.op = *op;
  switch (c.target) {
  case compare_target::version: {
    auto* n = obj.if_contains("version");
    if (n == nullptr || !n->is_number())
      return bad_field(where + ": \"version\" must be a number");
    boost::json::error_code ec;
    c.version = n->to_number<uint64_t>(ec);
    if (ec)
      return bad_field(where + ": \"version\" must be a whole number");
    break;
  }
  case compare_target::exists: {
    auto* b = obj.if_contains("exists");
    if (b == nullptr || !b->is_bool())
      return bad_field(where + ": \"exists\" must be true or false");
    c.exists = b->get_bool();
    break;
  }
  case compare_target::value: {
    auto value = json::value_of(obj, where);
    if (!value)
      return value.error();
    c.value = std::move(*value);
    break;
  }
  }
  return c;
}

caf::expected<txn_op> parse_op(const boost::json::value& v,
                               const std::string& where) {
  if (!v.is_object())
    return bad_field(where + " must be an object");
  auto& obj = v.get_object();
  txn_op op;
  auto kind = enum_field(obj, "op", op_kinds, where);
  if (!kind)
    return kind.error();
  op.kind = *kind;
  auto key = string_field(obj, "key", where);
  if (!key)
    return key.error();
  op.key = std::move(*key);
  if (op.kind == txn_op_kind::put) {
    auto value = json::value_of(obj, where);
    if (!value)
      return value.error();
    op.value = std::move(*value);
    auto ttl = ttl_field(obj, where);
    if (!ttl)
      return ttl.error();
    op.ttl = *ttl;
  }
  return op;
}

template <class T, class Parse>
caf::expected<std::vector<T>> parse_list(const json_object& obj,
                                         std::string_view name, Parse parse) {
  std::vector<T> out;
  auto* v = obj.if_contains(name);
  if (v == nullptr)
    return out;
  if (!v->is_array())
    return bad_field("\"" + std::string{name} + "\" must be an array");
  auto& items = v->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    auto item =
        parse(items[i], std::string{name} + "[" + std::to_string(i) + "]");
    if (!item)
      return item.error();
    out.push_back(std::move(*item));
  }
  return out;
}

json_object txn_json(const txn_result& r) {
  boost::json::array results;
  for (auto& x : r.results) {
    json_object obj;
    obj["op"] = enum_name(x.kind, op_kinds);
    obj["key"] = boost::json::string_view{x.key.data(), x.key.size()};
    switch (x.kind) {
    case txn_op_kind::put:
      obj["version"] = x.version;
      break;
    case txn_op_kind::erase:
      obj["found"] = x.found;
      break;
    case txn_op_kind::get:
      obj["found"] = x.found;
      if (x.value)
        obj["entry"] = entry_object(*x.value);
      else
        obj["entry"] = nullptr;
      break;
    }
    results.push_back(std::move(obj));
  }
  return json_object{{"succeeded", r.succeeded},
                     {"revision", r.revision},
                     {"results", std::move(results)}};
}

// -- the endpoints ------------------------------------------------------------

/// The operations on one key: /v1/ns/{ns}/keys/{key}.
http_route key_endpoint(const http_request& req, namespace_path ns,
                        std::string key, const parsed_target& target) {
  auto& m = req.method;
  if (m == "GET" || m == "HEAD") {
    bool head = m == "HEAD";
    auto if_none_match = req.if_none_match;
    return call<caf::optional<entry>>(
        head ? "head" : "get",
        [head, if_none_match, key](caf::optional<entry>& found) {
          if (!found) {
            auto res = key_not_found(key);
            res.head = head;
            return res;
          }
          http_response res;
          res.etag = quoted_version(found->version);
          if (found->expires_at)
            res.expires_at = json::format_utc(*found->expires_at);
          if (!if_none_match.empty() &&
              (if_none_match == res.etag || if_none_match == "*")) {
            res.status = 304;
            res.content_type.clear();
            return res;
          }
          res.content_type = "application/octet-stream";
          res.body = std::move(found->value);
          res.head = head;
          return res;
        },
        get_atom::value, std::move(ns), key);
  }
  if (m == "PUT") {
    ttl_option ttl;
    auto* ttl_text = target.param("ttl");
    if (ttl_text == nullptr && !req.ttl.empty())
      ttl_text = &req.ttl;
    if (ttl_text != nullptr) {
      auto d = parse_duration(*ttl_text);
      if (!d)
        return bad_request("bad ttl \"" + printable(*ttl_text) +
                           "\" (a positive whole number and ms, s, m or h)");
      ttl = *d;
    }
    if (!req.if_match.empty() && !req.if_none_match.empty())
      return bad_request("give If-Match or If-None-Match, not both");
    if (!req.if_none_match.empty()) {
      if (req.if_none_match != "*")
        return bad_request("If-None-Match on a write must be *: create the "
                           "key only if it does not exist");
      return conditional_call<uint64_t>(
          "create", [](uint64_t v) { return version_response(v, 201); },
          create_atom::value, std::move(ns), std::move(key), req.body, ttl);
    }
    if (!req.if_match.empty()) {
      auto expected = version_of_etag(req.if_match, "If-Match");
      if (!expected)
        return error_response(expected.error());
      return conditional_call<uint64_t>(
          "update", [](uint64_t v) { return version_response(v); },
          update_atom::value, std::move(ns), std::move(key), req.body,
          *expected, ttl);
    }
    return call<uint64_t>(
        "put", [](uint64_t v) { return version_response(v); }, put_atom::value,
        std::move(ns), std::move(key), req.body, ttl);
  }
  if (m == "DELETE") {
    if (!req.if_match.empty()) {
      auto expected = version_of_etag(req.if_match, "If-Match");
      if (!expected)
        return error_response(expected.error());
      return conditional_call<bool>(
          "erase_if",
          [key](bool erased) {
            if (!erased)
              return precondition_failed(make_error(
                  error_code::not_found,
                  "no live entry under key \"" + printable(key) + "\""));
            return json_response(json_object{{"erased", true}});
          },
          erase_if_atom::value, std::move(ns), key, *expected);
    }
    return call<bool>(
        "erase",
        [key](bool erased) {
          if (!erased)
            return key_not_found(key);
          return json_response(json_object{{"erased", true}});
        },
        erase_atom::value, std::move(ns), key);
  }
  auto res = http_error(405, "method_not_allowed",
                        "a key takes GET, HEAD, PUT and DELETE");
  res.allow = "GET, HEAD, PUT, DELETE";
  return res;
}

http_response method_not_allowed(const char* allow) {
  auto res = http_error(405, "method_not_allowed",
                        std::string{"this endpoint takes "} + allow);
  res.allow = allow;
  return res;
}

caf::expected<uint32_t> page_limit(const parsed_target& target) {
  auto* text = target.param("limit");
  if (text == nullptr)
    return uint32_t{100};
  auto n = parse_number<uint32_t>(*text);
  if (!n || *n == 0)
    return make_error(error_code::invalid_argument,
                      "limit must be a positive number");
  return *n;
}

std::string param_or_empty(const parsed_target& target, std::string_view name) {
  auto* p = target.param(name);
  return p != nullptr ? *p : std::string{};
}

/// /v1/ns/{ns}/{what}: the endpoints of a namespace.
http_route namespace_endpoint(const http_request& req, namespace_path ns,
                              const std::string& what,
                              const parsed_target& target) {
  auto& m = req.method;
  if (what == "count") {
    if (m != "GET")
      return method_not_allowed("GET");
    return call<uint64_t>(
        "count",
        [](uint64_t n) {
          return json_response(json_object{{"count", n}});
        },
        key_count_atom::value, std::move(ns));
  }
  if (what == "keys" || what == "entries") {
    if (m != "GET")
      return method_not_allowed("GET");
    auto limit = page_limit(target);
    if (!limit)
      return error_response(limit.error());
    auto prefix = param_or_empty(target, "prefix");
    auto after = param_or_empty(target, "after");
    if (what == "keys")
      return call<key_page>(
          "list_keys",
          [](key_page& page) {
            boost::json::array keys;
            for (auto& k : page.keys)
              keys.emplace_back(boost::json::string_view{k.data(), k.size()});
            return json_response(
                json_object{{"keys", std::move(keys)}, {"more", page.more}});
          },
          list_keys_atom::value, std::move(ns), std::move(prefix),
          std::move(after), *limit);
    return call<entry_page>(
        "scan",
        [](entry_page& page) {
          boost::json::array entries;
          for (auto& e : page.entries)
            entries.push_back(entry_object(e));
          return json_response(json_object{{"entries", std::move(entries)},
                                           {"more", page.more}});
        },
        scan_atom::value, std::move(ns), std::move(prefix), std::move(after),
        *limit);
  }
  if (what == "watch") {
    if (m != "GET")
      return method_not_allowed("GET");
    http_watch w;
    w.ns = std::move(ns);
    for (auto& [k, v] : target.query)
      if (k == "prefix")
        w.prefixes.push_back(v);
    auto* from = target.param("from");
    if (from == nullptr && !req.last_event_id.empty())
      from = &req.last_event_id;
    if (from != nullptr) {
      auto cursor = parse_cursor(*from);
      if (!cursor)
        return bad_request("bad cursor \"" + printable(*from) +
                           "\" (REVISION@INCARNATION, an event's id)");
      w.from = *cursor;
    }
    return w;
  }
  // The rest take a JSON body.
  if (what != "get" && what != "put" && what != "erase" && what != "txn")
    return http_error(404, "not_found", "no endpoint " + what);
  if (m != "POST")
    return method_not_allowed("POST");
  auto body = parse_object(req.body);
  if (!body)
    return error_response(body.error());
  if (what == "get") {
    auto keys = string_list(*body, "keys");
    if (!keys)
      return error_response(keys.error());
    return call<std::vector<entry>>(
        "get_many",
        [](std::vector<entry>& found) {
          boost::json::array entries;
          for (auto& e : found)
            entries.push_back(entry_object(e));
          return json_response(json_object{{"entries", std::move(entries)}});
        },
        get_many_atom::value, std::move(ns), std::move(*keys));
  }
  if (what == "erase") {
    auto keys = string_list(*body, "keys");
    if (!keys)
      return error_response(keys.error());
    return call<uint64_t>(
        "erase_many",
        [](uint64_t n) {
          return json_response(json_object{{"erased", n}});
        },
        erase_many_atom::value, std::move(ns), std::move(*keys));
  }
  if (what == "put") {
    auto items = parse_list<put_item>(
        *body, "items",
        [](const boost::json::value& v,
           const std::string& where) -> caf::expected<put_item> {
          if (!v.is_object())
            return bad_field(where + " must be an object");
          auto& obj = v.get_object();
          put_item item;
          auto key = string_field(obj, "key", where);
          if (!key)
            return key.error();
          item.key = std::move(*key);
          auto value = json::value_of(obj, where);
          if (!value)
            return value.error();
          item.value = std::move(*value);
          auto ttl = ttl_field(obj, where);
          if (!ttl)
            return ttl.error();
          item.ttl = *ttl;
          return item;
        });
    if (!items)
      return error_response(items.error());
    if (body->if_contains("items") == nullptr)
      return bad_request("\"items\" must be an array");
    return call<std::vector<uint64_t>>(
        "put_many",
        [](std::vector<uint64_t>& versions) {
          json_object obj;
          if (versions.empty())
            obj["version"] = nullptr;
          else
            obj["version"] = versions.front();
          return json_response(obj);
        },
        put_many_atom::value, std::move(ns), std::move(*items));
  }
  // txn
  auto compares = parse_list<txn_compare>(*body, "compare", parse_compare);
  if (!compares)
    return error_response(compares.error());
  auto success = parse_list<txn_op>(*body, "success", parse_op);
  if (!success)
    return error_response(success.error());
  auto failure = parse_list<txn_op>(*body, "failure", parse_op);
  if (!failure)
    return error_response(failure.error());
  return call<txn_result>(
      "txn", [](txn_result& r) { return json_response(txn_json(r)); },
      txn_atom::value, std::move(ns), std::move(*compares), std::move(*success),
      std::move(*failure));
}

/// /v1/ns/{ns}/keys/{key}/{what}: expire and persist.
http_route key_action(const http_request& req, namespace_path ns,
                      std::string key, const std::string& what,
                      const parsed_target& target) {
  if (what != "expire" && what != "persist")
    return http_error(404, "not_found", "no endpoint " + what);
  if (req.method != "POST")
    return method_not_allowed("POST");
  auto found = [key](bool found) {
    if (!found)
      return key_not_found(key);
    return json_response(json_object{{"found", true}});
  };
  if (what == "persist")
    return call<bool>("persist", found, persist_atom::value, std::move(ns),
                      key);
  auto* text = target.param("ttl");
  std::string from_body;
  if (text == nullptr) {
    auto body = parse_object(req.body);
    if (!body)
      return error_response(body.error());
    auto ttl = string_field(*body, "ttl", "the body");
    if (!ttl)
      return error_response(ttl.error());
    from_body = std::move(*ttl);
    text = &from_body;
  }
  auto d = parse_duration(*text);
  if (!d)
    return bad_request("bad ttl \"" + printable(*text) +
                       "\" (a positive whole number and ms, s, m or h)");
  return call<bool>("expire", found, expire_atom::value, std::move(ns), key,
                    *d);
}

} // namespace

std::optional<http_response>
refuse_unauthenticated(const std::string& target,
                       const std::string& authorization,
                       const std::vector<access_token>& tokens) {
  if (tokens.empty())
    return std::nullopt;
  auto path = target.substr(0, target.find('?'));
  if (path == "/healthz" || path == "/readyz")
    return std::nullopt;
  auto scope = tenant_of(tokens, bearer_token(authorization));
  if (!scope)
    return unauthenticated(scope.error());
  return std::nullopt;
}

http_route route(const http_request& req,
                 const std::vector<access_token>& tokens) {
  auto target = parse_target(req.target);
  if (!target)
    return bad_request("malformed request target (a path, and a query of "
                       "percent-encoded name=value pairs)");
  auto& path = target->path;
  // Probes for orchestrators: no token, nothing revealed.
  if (path.size() == 1 && (path[0] == "healthz" || path[0] == "readyz")) {
    if (req.method != "GET" && req.method != "HEAD")
      return method_not_allowed("GET, HEAD");
    if (path[0] == "healthz")
      return json_response(json_object{{"status", "ok"}});
    // Ready when the backend answers: with PostgreSQL, asking whether a
    // namespace exists that is not active is a query.
    return call<bool>(
        "readyz",
        [](bool) {
          return json_response(json_object{{"status", "ready"}});
        },
        ns_exists_atom::value, namespace_path{"statekeeper-readyz"});
  }
  auto scope = tenant_of(tokens, bearer_token(req.authorization));
  if (!scope)
    return unauthenticated(scope.error());
  if (path.size() == 1 && path[0] == "metrics") {
    if (req.method != "GET")
      return method_not_allowed("GET");
    if (auto err = admit(*scope, stats_atom::value))
      return forbidden(err);
    return http_metrics_request{};
  }
  if (path.empty() || path[0] != "v1")
    return http_error(404, "not_found", "no endpoint " + req.target);
  if (path.size() == 2 && path[1] == "namespaces") {
    if (req.method != "GET")
      return method_not_allowed("GET");
    namespace_path prefix;
    if (auto* p = target->param("prefix"); p != nullptr && !p->empty()) {
      auto parsed = parse_namespace(*p);
      if (!parsed)
        return error_response(parsed.error());
      prefix = std::move(*parsed);
    }
    if (auto err = admit(*scope, list_ns_atom::value, prefix))
      return forbidden(err);
    return call<std::vector<namespace_path>>(
        "list_namespaces",
        [](std::vector<namespace_path>& found) {
          boost::json::array names;
          for (auto& ns : found)
            names.emplace_back(render(ns));
          return json_response(json_object{{"namespaces", std::move(names)}});
        },
        list_ns_atom::value, std::move(prefix));
  }
  if (path.size() == 2 && path[1] == "sync") {
    if (req.method != "POST")
      return method_not_allowed("POST");
    return call<ok_atom>(
        "sync",
        [](ok_atom) {
          return json_response(json_object{{"synced", true}});
        },
        sync_atom::value);
  }
  if (path.size() < 3 || path[1] != "ns")
    return http_error(404, "not_found", "no endpoint " + req.target);
  auto ns = parse_namespace(path[2]);
  if (!ns)
    return error_response(ns.error());
  if (auto err = validate_namespace(*ns))
    return error_response(err);
  if (auto err = check_tenant(*scope, *ns))
    return forbidden(err);
  if (path.size() == 3) {
    if (req.method == "GET")
      return call<bool>(
          "exists",
          [name = path[2]](bool exists) {
            return json_response(
                json_object{{"namespace", name}, {"exists", exists}});
          },
          ns_exists_atom::value, std::move(*ns));
    if (req.method == "DELETE")
      return call<uint64_t>(
          "clear",
          [](uint64_t n) {
            return json_response(json_object{{"removed", n}});
          },
          clear_atom::value, std::move(*ns));
    return method_not_allowed("GET, DELETE");
  }
  if (path.size() == 4)
    return namespace_endpoint(req, std::move(*ns), path[3], *target);
  if (path[3] != "keys" || path.size() > 6)
    return http_error(404, "not_found", "no endpoint " + req.target);
  if (path.size() == 5)
    return key_endpoint(req, std::move(*ns), path[4], *target);
  return key_action(req, std::move(*ns), path[4], path[5], *target);
}

http_response http_error(unsigned status, std::string code,
                         std::string message) {
  http_response res;
  res.status = status;
  res.outcome = code;
  // A message may repeat what the request sent.
  res.body = to_text(
      json_object{{"code", std::move(code)}, {"message", printable(message)}});
  return res;
}

http_response error_response(const caf::error& err) {
  auto code = code_of(err);
  unsigned status = 500;
  switch (code) {
  case error_code::invalid_argument:
    status = 400;
    break;
  case error_code::not_found:
    status = 404;
    break;
  case error_code::already_exists:
  case error_code::revision_mismatch:
    status = 409;
    break;
  case error_code::limit_exceeded:
    status = 413;
    break;
  case error_code::storage_unavailable:
  case error_code::not_owner:
    status = 503;
    break;
  case error_code::timeout:
    status = 504;
    break;
  case error_code::unauthorized:
    // route answers 403 where the token is good but does not open what
    // was asked for.
    status = 401;
    break;
  case error_code::cursor_expired:
    status = 410;
    break;
  case error_code::internal:
    status = 500;
    break;
  }
  http_response res;
  res.status = status;
  res.outcome = to_string(code);
  res.body = to_text(json::error(err));
  return res;
}

std::string sse_event(const watch_event& ev) {
  std::string out;
  if (has_cursor(ev))
    out += "id: " + to_string(ev.cursor()) + "\n";
  out += "event: " + to_string(ev.kind) + "\n";
  out += "data: " + to_text(json::event(ev)) + "\n\n";
  return out;
}

std::string sse_error(const caf::error& err) {
  return "event: error\ndata: " + to_text(json::error(err)) + "\n\n";
}

} // namespace statekeeper
