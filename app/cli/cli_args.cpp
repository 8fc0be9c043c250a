#include "app/cli/cli_args.hpp"

#include <charconv>
#include <limits>
#include <utility>

#include "messages/duration.hpp"
#include "messages/error.hpp"
#include "messages/utf8.hpp"

namespace statekeeper::cli {

namespace {

constexpr std::string_view program = "statekeeper-cli";

// -- options -----------------------------------------------------------------

enum class option_id {
  host,
  port,
  tls,
  cert,
  key,
  ca,
  token,
  timeout,
  json,
  raw,
  file,
  stdin_value,
  ttl,
  expected,
  prefix,
  after,
  limit,
  from,
  progress,
};

struct option_spec {
  option_id id;
  std::string_view name;
  bool takes_value;
  /// Accepted by every command; else by the commands whose help lists it
  /// (command_spec::options, app/cli/cli_commands.cpp).
  bool global;

  bool applies_to(command_kind kind) const {
    if (global)
      return true;
    for (auto& described : spec_of(kind).options)
      if (option_name(described.first) == name)
        return true;
    return false;
  }
};

const std::vector<option_spec>& options() {
  static const std::vector<option_spec> table{
      {option_id::host, "host", true, true},
      {option_id::port, "port", true, true},
      {option_id::tls, "tls", false, true},
      {option_id::cert, "cert", true, true},
      {option_id::key, "key", true, true},
      {option_id::ca, "ca", true, true},
      {option_id::token, "token", true, true},
      {option_id::timeout, "timeout", true, true},
      {option_id::json, "json", false, true},
      {option_id::raw, "raw", false, false},
      {option_id::file, "file", true, false},
      {option_id::stdin_value, "stdin", false, false},
      {option_id::ttl, "ttl", true, false},
      {option_id::expected, "expected", true, false},
      {option_id::prefix, "prefix", true, false},
      {option_id::after, "after", true, false},
      {option_id::limit, "limit", true, false},
      {option_id::from, "from", true, false},
      {option_id::progress, "progress", false, false},
  };
  return table;
}

const option_spec* find_option(std::string_view name) {
  for (auto& spec : options())
    if (spec.name == name)
      return &spec;
  return nullptr;
}

// -- helpers -----------------------------------------------------------------

std::string quoted(std::string_view text) {
  return "\"" + std::string{text} + "\"";
}

// Every message repeats what was typed escaped: it stays one printable
// line whatever the arguments hold.
usage_error problem(std::string what, const command_spec* command) {
  what = printable(what);
  what += " (see '";
  what += program;
  if (command) {
    what += ' ';
    what += command->name;
  }
  what += " --help')";
  return usage_error{std::move(what)};
}

template <class T> std::optional<T> parse_number(std::string_view text) {
  T result{};
  auto last = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), last, result);
  if (text.empty() || ec != std::errc{} || end != last)
    return std::nullopt;
  return result;
}

std::string bad_duration(std::string_view what, std::string_view text) {
  std::string out = "bad duration ";
  out += quoted(text);
  out += " for ";
  out += what;
  out += " (a positive whole number with ms, s, m or h, e.g. 500ms, 5s)";
  return out;
}

// Stores one option's value in `inv`; returns what was wrong, or "".
std::string apply(const option_spec& spec, const std::string& value,
                  invocation& inv) {
  auto& conn = inv.connection;
  switch (spec.id) {
  case option_id::host:
    if (value.empty())
      return "--host needs a host name or address";
    conn.host = value;
    break;
  case option_id::port: {
    auto port = parse_number<uint16_t>(value);
    if (!port || *port == 0)
      return "bad port " + quoted(value) + " (1 to 65535)";
    conn.port = *port;
    break;
  }
  case option_id::tls:
    conn.tls = true;
    break;
  case option_id::cert:
    conn.certificate = value;
    conn.tls = true;
    break;
  case option_id::key:
    conn.key = value;
    conn.tls = true;
    break;
  case option_id::ca:
    conn.cafile = value;
    conn.tls = true;
    break;
  case option_id::token:
    conn.token = value;
    break;
  case option_id::timeout:
    if (auto d = parse_duration(value))
      conn.timeout = *d;
    else
      return bad_duration("--timeout", value);
    break;
  case option_id::json:
    inv.json = true;
    break;
  case option_id::raw:
    inv.raw = true;
    break;
  case option_id::file:
    inv.source = value_source::file;
    inv.value_argument = value;
    break;
  case option_id::stdin_value:
    inv.source = value_source::standard_input;
    break;
  case option_id::ttl:
    if (auto d = parse_duration(value))
      inv.ttl = *d;
    else
      return bad_duration("--ttl", value);
    break;
  case option_id::expected:
    if (auto v = parse_number<uint64_t>(value))
      inv.expected_version = *v;
    else
      return "bad version " + quoted(value) + " for --expected";
    break;
  case option_id::prefix:
    inv.prefix = value;
    break;
  case option_id::after:
    inv.after = value;
    break;
  case option_id::limit: {
    auto n = parse_number<uint32_t>(value);
    if (!n || *n == 0)
      return "bad limit " + quoted(value) +
             " for --limit (a positive "
             "number)";
    inv.limit = *n;
    break;
  }
  case option_id::from:
    if (auto v = parse_cursor(value))
      inv.from = *v;
    else
      return "bad cursor " + quoted(value) +
             " for --from (REVISION@INCARNATION, as watch prints it)";
    break;
  case option_id::progress:
    inv.progress = true;
    break;
  }
  return {};
}

} // namespace

bool writes_value(command_kind command) {
  return command == command_kind::put || command == command_kind::create ||
         command == command_kind::update;
}

namespace {

/// The command line split into operands and options, before any meaning is
/// given to them.
struct tokens {
  std::vector<std::string> positional;
  std::vector<std::pair<const option_spec*, std::string>> given;
  bool help = false;
  /// The first malformed option, or "".
  std::string problem;
};

tokens tokenize(const std::vector<std::string>& args) {
  tokens out;
  bool options_done = false;
  auto note = [&](std::string what) {
    if (out.problem.empty())
      out.problem = std::move(what);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "-h" || arg == "--help") {
      out.help = true;
    } else if (arg[1] != '-') {
      note("unknown option " + quoted(arg) +
           "; put -- before a value that starts with '-'");
    } else {
      auto eq = arg.find('=');
      auto name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
      auto spec = find_option(name);
      if (!spec)
        note("unknown option --" + name);
      else if (!spec->takes_value && eq != std::string::npos)
        note("option --" + name + " takes no value");
      else if (!spec->takes_value)
        out.given.emplace_back(spec, std::string{});
      else if (eq != std::string::npos)
        out.given.emplace_back(spec, arg.substr(eq + 1));
      else if (i + 1 < args.size())
        out.given.emplace_back(spec, args[++i]);
      else
        note("option --" + name + " needs a value");
    }
  }
  return out;
}

/// Stores the options in `inv`; returns what was wrong, or "".
std::string apply_options(const tokens& t, const command_spec& command,
                          const std::optional<std::string>& default_token,
                          invocation& inv) {
  bool token_given = false;
  for (auto& [spec, value] : t.given) {
    if (!spec->applies_to(command.kind))
      return "option --" + std::string{spec->name} + " does not apply to " +
             std::string{command.name};
    if (auto what = apply(*spec, value, inv); !what.empty())
      return what;
    token_given = token_given || spec->id == option_id::token;
  }
  if (!token_given && default_token)
    inv.connection.token = *default_token;
  return {};
}

/// Stores the operands in `inv`: NS (or PREFIX), then KEY, then VALUE or
/// DURATION. Returns what was wrong, or "".
std::string apply_operands(const std::vector<std::string>& operands,
                           const tokens& t, invocation& inv) {
  if (!operands.empty()) {
    auto ns = parse_namespace(operands[0]);
    if (!ns)
      return "bad namespace: " + context_of(ns.error());
    inv.ns = std::move(*ns);
  }
  if (inv.command == command_kind::watch)
    inv.prefixes.assign(operands.begin() + 1, operands.end());
  else if (operands.size() > 1)
    inv.key = operands[1];
  if (inv.command == command_kind::expire) {
    auto d = parse_duration(operands[2]);
    if (!d)
      return bad_duration("DURATION", operands[2]);
    inv.duration = *d;
  }
  if (writes_value(inv.command)) {
    int sources = operands.size() > 2 ? 1 : 0;
    for (auto& item : t.given)
      if (item.first->id == option_id::file ||
          item.first->id == option_id::stdin_value)
        ++sources;
    if (sources == 0)
      return "missing VALUE (or --file F, or --stdin)";
    if (sources > 1)
      return "give only one of VALUE, --file F, --stdin";
    if (operands.size() > 2) {
      inv.source = value_source::argument;
      inv.value_argument = operands[2];
    }
  }
  return {};
}

} // namespace

parse_result parse_args(const std::vector<std::string>& args,
                        const std::optional<std::string>& default_token) {
  auto t = tokenize(args);
  auto& positional = t.positional;
  auto command = positional.empty() ? nullptr : find_command(positional[0]);
  if (!positional.empty() && !command)
    return problem("unknown command " + quoted(positional[0]), nullptr);
  if (t.help)
    return command ? help_request{command->kind} : help_request{};
  if (!t.problem.empty())
    return problem(std::move(t.problem), command);
  if (!command)
    return problem("missing COMMAND", nullptr);
  invocation inv;
  inv.command = command->kind;
  std::vector<std::string> operands(positional.begin() + 1, positional.end());
  if (operands.size() < command->required_operands)
    return problem("missing " + std::string{command->operands[operands.size()]},
                   command);
  if (operands.size() > command->operands.size() && !command->repeats_last)
    return problem("unexpected argument " +
                       quoted(operands[command->operands.size()]),
                   command);
  if (auto what = apply_options(t, *command, default_token, inv); !what.empty())
    return problem(std::move(what), command);
  // CAF's TLS runs without certificates (anonymous) or with all three.
  auto& conn = inv.connection;
  auto tls_files = static_cast<int>(!conn.certificate.empty()) +
                   static_cast<int>(!conn.key.empty()) +
                   static_cast<int>(!conn.cafile.empty());
  if (tls_files != 0 && tls_files != 3)
    return problem("--cert, --key and --ca go together: give all three, or "
                   "none and --tls for anonymous TLS",
                   nullptr);
  if (auto what = apply_operands(operands, t, inv); !what.empty())
    return problem(std::move(what), command);
  if (command->kind == command_kind::update && !inv.expected_version)
    return problem("missing --expected VERSION", command);
  if (inv.raw && inv.json)
    return problem("--raw and --json exclude each other", command);
  return inv;
}

} // namespace statekeeper::cli
