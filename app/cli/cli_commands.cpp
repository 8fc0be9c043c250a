#include "app/cli/cli_commands.hpp"

namespace statekeeper::cli {

namespace {

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

} // namespace

const std::vector<command_spec>& commands() {
  using k = command_kind;
  // In the order of command_kind: kind, name, operands, how many are
  // required, whether the last repeats, summary; then the command's help:
  // synopsis, description, arguments, options, output.
  static const std::vector<command_spec> table{
      {k::get,
       "get",
       {"NS", "KEY"},
       2,
       false,
       "print the value of KEY",
       "get NS KEY [--raw]",
       "Prints the value of KEY.",
       {ns_arg, key_arg},
       {{"--raw", "print exactly the stored bytes, without a newline"}},
       "Output: the value and a newline. With --json: {\"namespace\",\n"
       "\"key\", \"value\" (\"value_base64\" when the value is not "
       "UTF-8),\n\"version\", \"expires_at\" (ISO-8601 UTC, or "
       "null)}.\n"
       "Exit status: 0 found, 1 absent, 2 error.\n"},
      {k::put,
       "put",
       {"NS", "KEY", "VALUE"},
       2,
       false,
       "write KEY, overwriting any value",
       "put NS KEY [VALUE] [--file F | --stdin]\n"
       "       [--ttl DURATION]",
       "Writes KEY, overwriting any value.",
       {ns_arg, key_arg, value_arg},
       {file_opt, stdin_opt, ttl_opt},
       "Output: the new version of KEY. With --json: {\"version\":N}.\n"
       "Exit status: 0 written, 2 error.\n"},
      {k::create,
       "create",
       {"NS", "KEY", "VALUE"},
       2,
       false,
       "write KEY only if it is absent",
       "create NS KEY [VALUE] [--file F | --stdin]\n"
       "       [--ttl DURATION]",
       "Writes KEY only if it is absent.",
       {ns_arg, key_arg, value_arg},
       {file_opt, stdin_opt, ttl_opt},
       "Output: the new version of KEY. With --json: {\"version\":N}.\n"
       "Exit status: 0 written, 2 error (already_exists when KEY is "
       "there).\n"},
      {k::update,
       "update",
       {"NS", "KEY", "VALUE"},
       2,
       false,
       "write KEY only if its version is --expected",
       "update NS KEY [VALUE] --expected VERSION [--file F | --stdin]\n"
       "       [--ttl DURATION]",
       "Writes KEY only if its version is VERSION.",
       {ns_arg, key_arg, value_arg},
       {{"--expected VERSION", "the version KEY must have (required)"},
        file_opt,
        stdin_opt,
        ttl_opt},
       "Output: the new version of KEY. With --json: {\"version\":N}.\n"
       "Exit status: 0 written, 2 error (not_found when KEY is absent,\n"
       "revision_mismatch when its version is not VERSION).\n"},
      {k::erase,
       "erase",
       {"NS", "KEY"},
       2,
       false,
       "remove KEY",
       "erase NS KEY [--expected VERSION]",
       "Removes KEY.",
       {ns_arg, key_arg},
       {{"--expected VERSION", "remove KEY only if its version is "
                               "VERSION"}},
       "Output: \"erased\". With --json: {\"erased\":true|false}.\n"
       "Exit status: 0 erased, 1 absent, 2 error (revision_mismatch "
       "when\nthe version is not VERSION).\n"},
      {k::keys,
       "keys",
       {"NS"},
       1,
       false,
       "list the keys of NS, one page at a time",
       "keys NS [--prefix P] [--after A] [--limit N]",
       "Lists the keys of NS in byte order, one page at a time.",
       {ns_arg},
       {{"--prefix P", "only keys that start with P"},
        {"--after A", "only keys after A (the last key of the "
                      "previous page)"},
        {"--limit N", "most keys printed (default: 100)"}},
       "Output: one key per line; when more keys follow, a note on\n"
       "standard error names the last one. With --json: "
       "{\"keys\":[...],\n\"more\":true|false}.\n"},
      {k::namespaces,
       "namespaces",
       {"PREFIX"},
       0,
       false,
       "list the namespaces that hold live entries",
       "namespaces [PREFIX]",
       "Lists the namespaces that hold live entries, sorted.",
       {{"PREFIX", "only PREFIX and the namespaces below it, written "
                   "like NS\n(default: all)"}},
       {},
       "Output: one namespace per line. With --json: "
       "{\"namespaces\":[...]}.\n"},
      {k::count,
       "count",
       {"NS"},
       1,
       false,
       "print the number of live keys in NS",
       "count NS",
       "Prints the number of live keys in NS.",
       {ns_arg},
       {},
       "Output: the number. With --json: {\"count\":N}.\n"},
      {k::exists,
       "exists",
       {"NS"},
       1,
       false,
       "tell whether NS holds a live entry",
       "exists NS",
       "Tells whether NS holds a live entry.",
       {ns_arg},
       {},
       "Output: \"yes\" or \"no\". With --json: "
       "{\"exists\":true|false}.\n"
       "Exit status: 0 yes, 1 no, 2 error.\n"},
      {k::clear,
       "clear",
       {"NS"},
       1,
       false,
       "remove every key of NS",
       "clear NS",
       "Removes every key of NS.",
       {ns_arg},
       {},
       "Output: the number of keys removed. With --json: "
       "{\"removed\":N}.\n"},
      {k::expire,
       "expire",
       {"NS", "KEY", "DURATION"},
       3,
       false,
       "remove KEY after DURATION",
       "expire NS KEY DURATION",
       "Removes KEY after DURATION.",
       {ns_arg,
        key_arg,
        {"DURATION", "time to live from now (e.g. 500ms, 5s, 2m, 1h)"}},
       {},
       found_output},
      {k::persist,
       "persist",
       {"NS", "KEY"},
       2,
       false,
       "remove the time to live of KEY",
       "persist NS KEY",
       "Removes the time to live of KEY.",
       {ns_arg, key_arg},
       {},
       found_output},
      {k::watch,
       "watch",
       {"NS", "PREFIX..."},
       1,
       true,
       "print the changes of NS as they happen",
       "watch NS [PREFIX...] [--from CURSOR] [--progress]",
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
       "or of another incarnation of NS).\n"},
      {k::cluster,
       "cluster",
       {},
       0,
       false,
       "list the nodes of a cluster",
       "cluster",
       "Lists the nodes sharing the service's PostgreSQL database, live or "
       "dead\n(statekeeper.cluster). Needs an operator token (tenant "
       "\"*\") when the\nservice has tokens.",
       {},
       {},
       "Output: one node per line, sorted by name: its name, address:port,"
       "\n\"live\" or \"dead\", the namespaces it owns and how long ago "
       "its last\nheartbeat was, separated by tabs. With --json: "
       "{\"members\":[{\"name\",\n\"address\", \"port\", \"id\", "
       "\"live\", \"namespaces\", \"heartbeat_age_ms\"}]}.\n"
       "Exit status: 0, or 2 on error (a single node: invalid_argument).\n"},
  };
  return table;
}

const command_spec& spec_of(command_kind kind) {
  return commands()[static_cast<size_t>(kind)];
}

const command_spec* find_command(std::string_view name) {
  for (auto& spec : commands())
    if (spec.name == name)
      return &spec;
  return nullptr;
}

std::string_view option_name(std::string_view described) {
  if (described.substr(0, 2) != "--")
    return {};
  described.remove_prefix(2);
  return described.substr(0, described.find(' '));
}

std::string_view command_name(command_kind command) {
  return spec_of(command).name;
}

} // namespace statekeeper::cli
