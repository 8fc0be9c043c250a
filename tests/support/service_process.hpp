// The statekeeper binary run as a child process for tests that drive it
// with statekeeper-cli: started on a free port (read from its start line),
// stopped and reaped at the end of the test. Header-only: the test targets
// define STATEKEEPER_BINARY and STATEKEEPER_CLI_BINARY.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/start_line.hpp"

namespace statekeeper::test {

/// Says what a CLI run printed, for failure messages.
inline std::string describe(const completed_process& run) {
  return "exit " + std::to_string(run.exit_code)
         + (run.timed_out ? " (timed out)" : "") + "\nstdout: " + run.out
         + "\nstderr: " + run.err;
}

/// Runs statekeeper-cli to its end; `limit` bounds a hanging client.
inline completed_process
run_cli(const std::vector<std::string>& args, const std::string& input = {},
        std::chrono::milliseconds limit = std::chrono::seconds{30}) {
  return run_to_completion(STATEKEEPER_CLI_BINARY, args, input, limit);
}

/// The statekeeper binary serving on the port its start line names; stopped
/// and reaped at the end of the test. Check `port() != 0`.
class running_service {
public:
  explicit running_service(const std::vector<std::string>& args)
    : child_(STATEKEEPER_BINARY, args), start_line_(child_.read_line(std::chrono::seconds{20})),
      port_(serving_port(start_line_)) {}

  uint16_t port() const {
    return port_;
  }

  const std::string& start_line() const {
    return start_line_;
  }

  /// Runs statekeeper-cli against this service with `args` to its end.
  completed_process cli(const std::vector<std::string>& args,
                        const std::string& input = {}) const {
    return run_cli(with_port(args), input);
  }

  /// Starts `statekeeper-cli watch` against this service with `args` after
  /// the command name; its stdout and stderr come apart.
  std::unique_ptr<scoped_child>
  watch(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"watch"};
    all.insert(all.end(), args.begin(), args.end());
    return std::make_unique<scoped_child>(STATEKEEPER_CLI_BINARY,
                                          with_port(all), true);
  }

  /// Ends the service at once, as a crash would.
  void kill() {
    child_.signal(SIGKILL);
    child_.wait(std::chrono::seconds{10});
  }

private:
  std::vector<std::string> with_port(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--port", std::to_string(port_)});
    return args;
  }

  scoped_child child_;
  std::string start_line_;
  uint16_t port_ = 0;
};

// Fails the test, showing the start line, unless the service serves.
#define REQUIRE_SERVING(service)                                               \
  do {                                                                         \
    INFO("start line: " << (service).start_line());                            \
    REQUIRE((service).port() != 0);                                            \
  } while (false)

} // namespace statekeeper::test
