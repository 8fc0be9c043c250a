// statekeeper-cli's command line, from whoever runs it (and from scripts
// that build it from data). The input is split at NUL bytes into
// arguments. parse_args never throws; a refusal is one printable line; an
// accepted invocation names a valid namespace (unless its command takes
// none, or it is the empty prefix of `namespaces`), a positive timeout and,
// for a write with --ttl, a positive one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "app/cli/cli_args.hpp"
#include "app/cli/cli_commands.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/namespace_path.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  args.push_back(std::move(current));
  auto result = cli::parse_args(args, std::string{"env-token"});
  if (auto* refused = std::get_if<cli::usage_error>(&result)) {
    FUZZ_CHECK(!refused->message.empty());
    FUZZ_CHECK(is_valid_utf8(refused->message));
    FUZZ_CHECK(refused->message.find('\n') == std::string::npos);
    return 0;
  }
  if (auto* run = std::get_if<cli::invocation>(&result)) {
    // `cluster` names no namespace, `namespaces` at most a prefix.
    bool no_namespace =
        cli::spec_of(run->command).operands.empty() ||
        (run->command == cli::command_kind::namespaces &&
         run->ns.tenant.empty());
    FUZZ_CHECK(no_namespace || !validate_namespace(run->ns));
    FUZZ_CHECK(run->connection.timeout.count() > 0);
    if (run->ttl)
      FUZZ_CHECK(run->ttl->count() > 0);
  }
  return 0;
}
