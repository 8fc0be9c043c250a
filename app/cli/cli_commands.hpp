// The commands of statekeeper-cli in one table: the parser
// (app/cli/cli_args.cpp) takes each command's name, operands and options
// from it, the help texts (app/cli/cli_usage.cpp) its summary, synopsis and
// descriptions, and the dispatch (app/cli/cli.cpp) runs `run_command<kind>`
// for it. Adding a command: a `command_kind`, its row here, its runner; an
// option no command had before also needs its entry in the parser's option
// table (its value's type), and a value-writing command the parser's
// `writes_value`. Pure data; any thread.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace statekeeper::cli {

/// One operation of the service, as named on the command line. The table
/// holds one row per kind, in this order.
enum class command_kind {
  get,
  put,
  create,
  update,
  erase,
  keys,
  namespaces,
  count,
  exists,
  clear,
  expire,
  persist,
  watch,
  cluster,
};

inline constexpr size_t command_count =
    static_cast<size_t>(command_kind::cluster) + 1;

/// A term and what it means, for the two columns of a help text.
using described = std::pair<std::string_view, std::string_view>;

struct command_spec {
  command_kind kind;
  std::string_view name;
  /// Arguments after the command name, as the usage texts name them.
  std::vector<std::string_view> operands;
  size_t required_operands;
  /// The last operand may repeat ("PREFIX...").
  bool repeats_last;
  /// One line for the general usage, e.g. "print the value of KEY".
  std::string_view summary;
  /// The command's own usage: its synopsis (after "statekeeper-cli "),
  /// description, arguments, options, and what it prints and exits with.
  std::string_view synopsis;
  std::string_view description;
  std::vector<described> arguments;
  /// The options only this command takes ("--file F", "--raw"): the
  /// parser accepts exactly these (and the global ones) for it.
  std::vector<described> options;
  std::string_view output;
};

/// Every command, in the order of command_kind.
const std::vector<command_spec>& commands();

/// The row of `kind`.
const command_spec& spec_of(command_kind kind);

/// The command named `name`, or nullptr.
const command_spec* find_command(std::string_view name);

/// Returns the name of the option a help row describes: "file" for
/// "--file F", "" for a row that is not an option.
std::string_view option_name(std::string_view described);

/// Returns the command's name on the command line, e.g. "get".
std::string_view command_name(command_kind command);

} // namespace statekeeper::cli
