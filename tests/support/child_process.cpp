#include "tests/support/child_process.hpp"

#include <unistd.h>

namespace statekeeper::test {

child_process start_child(const std::string& path,
                          const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0)
    return {};
  // Build argv before forking: the child only calls async-signal-safe code.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

} // namespace statekeeper::test
