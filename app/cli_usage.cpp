#include "app/cli_usage.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace statekeeper::cli {

namespace {

using described = std::pair<std::string_view, std::string_view>;

struct command_usage {
  /// After "statekeeper-cli ".
  std::string_view synopsis;
  std::string_view description;
  std::vector<described> arguments;
  std::vector<described> options;
  /// What is printed, and the exit status when it says more than 0 or 2.
  std::string_view output;
};

constexpr described ns_arg{
    "NS", "namespace: TENANT[/SCOPE...], with '%' written as %25 and '/'\n"
          "inside a segment as %2F (e.g. acme/agents/a%2Fb)"};
constexpr described key_arg{"KEY", "key"};
constexpr described value_arg{"VALUE",
                              "the value; or give --file or --stdin instead"};
constexpr described file_opt{"--file F", "read the value from file F (any "
                                         "bytes)"};
constexpr described stdin_opt{"--stdin", "read the value from standard "
                                         "input (any bytes)"};
constexpr described ttl_opt{"--ttl DURATION",
                            "remove the entry after DURATION (e.g. 500ms)"};
constexpr std::string_view found_output =
    "Output: \"ok\". With --json: {\"found\":true|false}.\n"
    "Exit status: 0 done, 1 KEY absent, 2 error.\n";

command_usage usage_of(command_kind command) {
  switch (command) {
  case command_kind::get:
    return {"get NS KEY [--raw]",
            "Prints the value of KEY.",
            {ns_arg, key_arg},
            {{"--raw", "print exactly the stored bytes, without a newline"}},
            "Output: the value and a newline. With --json: {\"namespace\",\n"
            "\"key\", \"value\" (\"value_base64\" when the value is not "
            "UTF-8),\n\"version\", \"expires_at\" (ISO-8601 UTC, or "
            "null)}.\n"
            "Exit status: 0 found, 1 absent, 2 error.\n"};
  case command_kind::put:
    return {"put NS KEY [VALUE] [--file F | --stdin]\n"
            "       [--ttl DURATION]",
            "Writes KEY, overwriting any value.",
            {ns_arg, key_arg, value_arg},
            {file_opt, stdin_opt, ttl_opt},
            "Output: the new version of KEY. With --json: {\"version\":N}.\n"
            "Exit status: 0 written, 2 error.\n"};
  case command_kind::create:
    return {"create NS KEY [VALUE] [--file F | --stdin]\n"
            "       [--ttl DURATION]",
            "Writes KEY only if it is absent.",
            {ns_arg, key_arg, value_arg},
            {file_opt, stdin_opt, ttl_opt},
            "Output: the new version of KEY. With --json: {\"version\":N}.\n"
            "Exit status: 0 written, 2 error (already_exists when KEY is "
            "there).\n"};
  case command_kind::update:
    return {"update NS KEY [VALUE] --expected VERSION [--file F | --stdin]\n"
            "       [--ttl DURATION]",
            "Writes KEY only if its version is VERSION.",
            {ns_arg, key_arg, value_arg},
            {{"--expected VERSION", "the version KEY must have (required)"},
             file_opt,
             stdin_opt,
             ttl_opt},
            "Output: the new version of KEY. With --json: {\"version\":N}.\n"
            "Exit status: 0 written, 2 error (not_found when KEY is absent,\n"
            "revision_mismatch when its version is not VERSION).\n"};
  case command_kind::erase:
    return {"erase NS KEY [--expected VERSION]",
            "Removes KEY.",
            {ns_arg, key_arg},
            {{"--expected VERSION", "remove KEY only if its version is "
                                    "VERSION"}},
            "Output: \"erased\". With --json: {\"erased\":true|false}.\n"
            "Exit status: 0 erased, 1 absent, 2 error (revision_mismatch "
            "when\nthe version is not VERSION).\n"};
  case command_kind::keys:
    return {"keys NS [--prefix P] [--after A] [--limit N]",
            "Lists the keys of NS in byte order, one page at a time.",
            {ns_arg},
            {{"--prefix P", "only keys that start with P"},
             {"--after A", "only keys after A (the last key of the "
                           "previous page)"},
             {"--limit N", "most keys printed (default: 100)"}},
            "Output: one key per line; when more keys follow, a note on\n"
            "standard error names the last one. With --json: "
            "{\"keys\":[...],\n\"more\":true|false}.\n"};
  case command_kind::namespaces:
    return {"namespaces [PREFIX]",
            "Lists the namespaces that hold live entries, sorted.",
            {{"PREFIX", "only PREFIX and the namespaces below it, written "
                        "like NS\n(default: all)"}},
            {},
            "Output: one namespace per line. With --json: "
            "{\"namespaces\":[...]}.\n"};
  case command_kind::count:
    return {"count NS",
            "Prints the number of live keys in NS.",
            {ns_arg},
            {},
            "Output: the number. With --json: {\"count\":N}.\n"};
  case command_kind::exists:
    return {"exists NS",
            "Tells whether NS holds a live entry.",
            {ns_arg},
            {},
            "Output: \"yes\" or \"no\". With --json: "
            "{\"exists\":true|false}.\n"
            "Exit status: 0 yes, 1 no, 2 error.\n"};
  case command_kind::clear:
    return {"clear NS",
            "Removes every key of NS.",
            {ns_arg},
            {},
            "Output: the number of keys removed. With --json: "
            "{\"removed\":N}.\n"};
  case command_kind::expire:
    return {"expire NS KEY DURATION",
            "Removes KEY after DURATION.",
            {ns_arg,
             key_arg,
             {"DURATION", "time to live from now (e.g. 500ms, 5s, 2m, 1h)"}},
            {},
            found_output};
  case command_kind::persist:
    return {"persist NS KEY",
            "Removes the time to live of KEY.",
            {ns_arg, key_arg},
            {},
            found_output};
  case command_kind::watch:
    return {"watch NS [PREFIX...] [--from CURSOR] [--progress]",
            "Prints the changes of NS as they happen, until interrupted\n"
            "(SIGINT, SIGTERM) or until the watch ends. Without --from, "
            "first\nthe keys NS holds now, then snapshot_done.",
            {ns_arg,
             {"PREFIX", "only keys that start with PREFIX (default: every "
                        "key)"}},
            {{"--from CURSOR", "only the changes after CURSOR "
                               "(REVISION@INCARNATION, the\nsecond field "
                               "of the last line a watch printed), no "
                               "snapshot"},
             {"--progress", "also print progress lines: no change up to "
                            "CURSOR"}},
            "Output: one line per event, fields separated by tabs:\n"
            "  put CURSOR KEY VALUE [expires=ISO-8601 UTC]\n"
            "  erase|expire CURSOR KEY\n"
            "  clear|snapshot_done|progress CURSOR\n"
            "CURSOR is REVISION@INCARNATION: after handling a line, "
            "resuming with\n--from CURSOR loses nothing. A key or value "
            "that is not UTF-8, holds a\ntab or a newline, or starts with "
            "\"base64:\" is printed as \"base64:\" and\nits base64. With "
            "--json: {\"event\", \"revision\", \"cursor\", \"key\",\n"
            "\"value\" (\"value_base64\" when not UTF-8), \"version\", "
            "\"expires_at\"}\nas the event has them; progress events "
            "too.\n"
            "Exit status: 0 interrupted; 2 error: the watch dropped by the "
            "service\n(too slow a reader: resume with --from), the "
            "connection lost or no\nanswer within --timeout, or "
            "cursor_expired (CURSOR is older than the\nservice's history, "
            "or of another incarnation of NS).\n"};
  }
  return {};
}

// Two columns; continuation lines of a description stay in the second one.
void append_table(std::string& out, const std::vector<described>& rows) {
  size_t width = 0;
  for (auto& row : rows)
    width = std::max(width, row.first.size());
  for (auto& row : rows) {
    std::string left{"  "};
    left += row.first;
    left.resize(width + 4, ' ');
    out += left;
    for (auto c : row.second) {
      out += c;
      if (c == '\n')
        out.append(width + 4, ' ');
    }
    out += '\n';
  }
}

} // namespace

std::string usage_text() {
  return R"(Usage: statekeeper-cli [OPTIONS] COMMAND [ARGS] [COMMAND OPTIONS]

Reads and writes a statekeeper service over the network.

Commands:
  get NS KEY              print the value of KEY
  put NS KEY [VALUE]      write KEY, overwriting any value
  create NS KEY [VALUE]   write KEY only if it is absent
  update NS KEY [VALUE]   write KEY only if its version is --expected
  erase NS KEY            remove KEY
  keys NS                 list the keys of NS, one page at a time
  namespaces [PREFIX]     list the namespaces that hold live entries
  count NS                print the number of live keys in NS
  exists NS               tell whether NS holds a live entry
  clear NS                remove every key of NS
  expire NS KEY DURATION  remove KEY after DURATION
  persist NS KEY          remove the time to live of KEY
  watch NS [PREFIX...]    print the changes of NS as they happen

Options (before or after COMMAND):
  --host H        service address (default: 127.0.0.1)
  --port P        service port (default: 7411)
  --tls           connect with TLS (implied by --cert, --key and --ca)
  --cert FILE     client certificate (PEM), for services that require one
  --key FILE      private key of --cert (PEM)
  --ca FILE       CA certificate (PEM) that signed the service's certificate
  --token T       access token (default: $STATEKEEPER_TOKEN)
  --timeout D     longest wait to connect and for each reply (default: 5s)
  --json          print results as JSON
  -h, --help      print this help, or a command's help after COMMAND

NS is a namespace: TENANT[/SCOPE...], with '%' written as %25 and '/'
inside a segment as %2F (e.g. acme/agents/a%2Fb). Durations are a whole
number with ms, s, m or h (e.g. 500ms, 5s, 2m, 1h). Put -- before
arguments that start with '-'.

Exit status: 0 success, 1 the key (for exists: the namespace) is absent,
2 error.
Run 'statekeeper-cli COMMAND --help' for a command's arguments and options.
)";
}

std::string usage_text(command_kind command) {
  auto usage = usage_of(command);
  std::string out = "Usage: statekeeper-cli ";
  out += usage.synopsis;
  out += "\n\n";
  out += usage.description;
  out += "\n\nArguments:\n";
  append_table(out, usage.arguments);
  if (!usage.options.empty()) {
    out += "\nOptions:\n";
    append_table(out, usage.options);
  }
  out += '\n';
  out += usage.output;
  out += "\nGlobal options (--host, --port, --tls, --cert, --key, --ca, "
         "--token,\n--timeout, --json): see 'statekeeper-cli --help'.\n";
  return out;
}

} // namespace statekeeper::cli
