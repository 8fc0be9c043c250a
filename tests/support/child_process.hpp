// Starts a program as a child process with its stdout (and stderr) on a
// pipe, for tests that run the binaries as a user would.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace statekeeper::test {

struct child_process {
  pid_t pid = -1;
  /// Read end of the child's stdout and stderr.
  int out = -1;
};

/// Starts `path` with `args` (argv[1...]). Returns pid -1 if fork failed.
child_process start_child(const std::string& path,
                          const std::vector<std::string>& args = {});

} // namespace statekeeper::test
