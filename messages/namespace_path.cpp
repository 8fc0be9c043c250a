#include "messages/namespace_path.hpp"

#include <algorithm>
#include <tuple>

#include "messages/error.hpp"

namespace statekeeper {

bool operator==(const namespace_path& x, const namespace_path& y) {
  return x.tenant == y.tenant && x.scopes == y.scopes;
}

bool operator!=(const namespace_path& x, const namespace_path& y) {
  return !(x == y);
}

bool operator<(const namespace_path& x, const namespace_path& y) {
  return std::tie(x.tenant, x.scopes) < std::tie(y.tenant, y.scopes);
}

namespace {

void append_escaped(std::string& out, const std::string& segment) {
  for (char c : segment) {
    if (c == '%')
      out += "%25";
    else if (c == '/')
      out += "%2F";
    else
      out += c;
  }
}

// Returns what is wrong with `ns`, or an empty string.
std::string namespace_problem(const namespace_path& ns) {
  if (ns.tenant.empty())
    return "tenant is empty";
  if (!is_valid_utf8(ns.tenant))
    return "tenant is not valid UTF-8";
  for (size_t i = 0; i < ns.scopes.size(); ++i) {
    if (ns.scopes[i].empty())
      return "scope segment " + std::to_string(i) + " is empty";
    if (!is_valid_utf8(ns.scopes[i]))
      return "scope segment " + std::to_string(i) + " is not valid UTF-8";
  }
  return {};
}

caf::error malformed(std::string_view rendered, std::string why) {
  std::string what = "malformed rendered namespace \"";
  what.append(rendered.data(), rendered.size());
  what += "\": ";
  what += why;
  return make_error(error_code::invalid_argument, std::move(what));
}

} // namespace

std::string render(const namespace_path& ns) {
  std::string out;
  append_escaped(out, ns.tenant);
  for (auto& scope : ns.scopes) {
    out += '/';
    append_escaped(out, scope);
  }
  return out;
}

caf::expected<namespace_path> parse_namespace(std::string_view rendered) {
  if (rendered.empty())
    return malformed(rendered, "it is empty");
  std::vector<std::string> segments(1);
  for (size_t i = 0; i < rendered.size(); ++i) {
    char c = rendered[i];
    if (c == '/') {
      segments.emplace_back();
    } else if (c == '%') {
      auto code = rendered.substr(i + 1, 2);
      if (code == "25")
        segments.back() += '%';
      else if (code == "2F")
        segments.back() += '/';
      else
        return malformed(rendered, "bad escape at offset " + std::to_string(i) +
                                       " (only %25 and %2F are allowed)");
      i += 2;
    } else {
      segments.back() += c;
    }
  }
  namespace_path result;
  result.tenant = std::move(segments.front());
  result.scopes.assign(std::make_move_iterator(segments.begin() + 1),
                       std::make_move_iterator(segments.end()));
  if (auto problem = namespace_problem(result); !problem.empty())
    return malformed(rendered, std::move(problem));
  return result;
}

caf::error validate_namespace(const namespace_path& ns) {
  auto problem = namespace_problem(ns);
  if (problem.empty())
    return caf::none;
  return make_error(error_code::invalid_argument, std::move(problem));
}

bool is_within(const namespace_path& ns, const namespace_path& prefix) {
  if (prefix.tenant.empty() && prefix.scopes.empty())
    return true;
  if (ns.tenant != prefix.tenant || ns.scopes.size() < prefix.scopes.size())
    return false;
  return std::equal(prefix.scopes.begin(), prefix.scopes.end(),
                    ns.scopes.begin());
}

} // namespace statekeeper
