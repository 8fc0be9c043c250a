// The command line of statekeeper-cli: parses arguments into a plain
// `invocation`, taking the commands from app/cli/cli_commands.hpp (the usage
// texts live in app/cli/cli_usage.hpp). Pure functions
// without I/O or actors; callable from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/timespan.hpp>

#include "app/cli/cli_commands.hpp"
#include "messages/namespace_path.hpp"
#include "messages/watch.hpp"

namespace statekeeper::cli {

/// Returns true for the commands that write a value (put, create, update).
[[nodiscard]] bool writes_value(command_kind command);

/// Where the value of a write comes from.
enum class value_source {
  /// The command takes no value.
  none,
  /// The VALUE argument itself (`invocation::value_argument`).
  argument,
  /// The bytes of the file named by `invocation::value_argument`.
  file,
  /// Every byte of standard input.
  standard_input,
};

/// How to reach the service.
struct connection_args {
  /// Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  /// Default: 7411.
  uint16_t port = 7411;
  /// Set by --tls, and by any of --cert, --key, --ca. Default: false.
  bool tls = false;
  /// PEM files; empty when not given.
  std::string certificate;
  std::string key;
  std::string cafile;
  /// --token, else the default token passed to `parse_args`. Default: empty.
  std::string token;
  /// Longest wait for the connection and for each reply. Default: 5 s.
  caf::timespan timeout = std::chrono::seconds{5};
};

/// A well-formed command line: one operation and how to reach the service.
struct invocation {
  command_kind command = command_kind::get;
  connection_args connection;
  /// Print results as JSON instead of plain text. Default: false.
  bool json = false;
  /// The namespace operated on; for `namespaces`, the prefix (empty when
  /// not given: every namespace).
  namespace_path ns;
  /// The KEY argument of key commands.
  std::string key;
  /// For put, create and update: where the value comes from.
  value_source source = value_source::none;
  /// The VALUE argument, or the path given to --file.
  std::string value_argument;
  /// get --raw: print the stored bytes without a newline.
  bool raw = false;
  /// --ttl of a write.
  std::optional<caf::timespan> ttl;
  /// --expected of update (required) and erase (optional).
  std::optional<uint64_t> expected_version;
  /// keys: --prefix, --after and --limit (default 100).
  std::string prefix;
  std::string after;
  uint32_t limit = 100;
  /// expire: the DURATION argument.
  caf::timespan duration{0};
  /// watch: the PREFIX arguments (empty: every key).
  std::vector<std::string> prefixes;
  /// watch --from: resume after this cursor instead of a snapshot.
  std::optional<watch_cursor> from;
  /// watch --progress: print progress events in plain mode too.
  /// Default: false.
  bool progress = false;
};

/// The command line asked for help: on one command, or general when
/// `command` is none.
struct help_request {
  std::optional<command_kind> command;
};

/// The command line is malformed.
struct usage_error {
  /// What was wrong and where to look, e.g. "unknown command \"frob\"
  /// (see 'statekeeper-cli --help')". One line.
  std::string message;
};

using parse_result = std::variant<invocation, help_request, usage_error>;

/// Parses the arguments after the program name. `default_token` is used when
/// --token is absent (the caller passes $STATEKEEPER_TOKEN). Never throws
/// on bad input: returns a `usage_error` naming the problem. `--help`
/// anywhere wins over every other problem but an unknown command.
[[nodiscard]] parse_result
parse_args(const std::vector<std::string>& args,
           const std::optional<std::string>& default_token = std::nullopt);

} // namespace statekeeper::cli
