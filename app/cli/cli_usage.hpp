// The help texts of statekeeper-cli: the general usage and each command's.
// Pure functions; any thread.
#pragma once

#include <string>

#include "app/cli/cli_args.hpp"

namespace statekeeper::cli {

/// Returns the general usage: commands, global options, exit status.
std::string usage_text();

/// Returns one command's usage: synopsis, arguments, options, output.
std::string usage_text(command_kind command);

} // namespace statekeeper::cli
