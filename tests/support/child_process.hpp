// Starts a program as a child process with its stdout and stderr on one
// pipe (or on two), or runs one to completion and collects what it printed,
// for tests that run the binaries as a user would. Call from the test
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace statekeeper::test {

struct child_process {
  pid_t pid = -1;
  /// Read end of the child's stdout and stderr.
  int out = -1;
};

/// Starts `path` with `args` (argv[1...]). Returns pid -1 if it could not be
/// started.
child_process start_child(const std::string& path,
                          const std::vector<std::string>& args = {});

/// A child started as by `start_child`, stopped and reaped at the latest on
/// destruction, so a test that fails half-way leaks no process.
class scoped_child {
 public:
  /// Starts `path` with `args` (stderr apart from stdout with
  /// `separate_stderr`); `pid()` is -1 if that failed.
  scoped_child(const std::string& path, const std::vector<std::string>& args,
               bool separate_stderr = false);
  ~scoped_child();

  scoped_child(const scoped_child&) = delete;
  scoped_child& operator=(const scoped_child&) = delete;

  pid_t pid() const { return child_.pid; }

  /// Returns the next line of the child's output (stdout only when stderr
  /// is separate) without its newline; what was read so far at the end of
  /// the output or after `limit`.
  std::string read_line(std::chrono::milliseconds limit);

  /// With a separate stderr: returns what the child wrote there until it
  /// closed it or `limit` passed.
  std::string read_errors(std::chrono::milliseconds limit);

  /// Sends `sig` to the child unless it was reaped.
  void signal(int sig);

  /// Waits up to `limit` for the child to exit by itself. Returns the exit
  /// status, or -1 if a signal ended it or it is still running (`stop`
  /// ends it then). Later calls, and `stop`, return the same result once it
  /// was reaped.
  int wait(std::chrono::milliseconds limit);

  /// Sends SIGTERM, waits up to `grace`, then sends SIGKILL. Returns the
  /// exit status, or -1 if a signal ended the child. Later calls return the
  /// same result.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds{10});

 private:
  // Reaps the child if it exited, waiting up to `limit`; true once reaped.
  bool reap(std::chrono::milliseconds limit);

  /// Read end of the child's stderr when apart from stdout; else -1. Set
  /// while `child_` is initialised, hence declared first.
  int err_ = -1;
  child_process child_;
  bool stopped_ = false;
  int exit_code_ = -1;
};

/// What a program that ran to completion left behind.
struct completed_process {
  /// The exit status, or -1 if it was killed by a signal, could not be
  /// started or ran past its time limit.
  int exit_code = -1;
  /// Everything written to stdout and stderr, byte for byte.
  std::string out;
  std::string err;
  /// True if the program was killed for running past its time limit.
  bool timed_out = false;
};

/// Runs `path` with `args` (argv[1...]), writes `input` to its stdin and
/// then closes it, and collects stdout and stderr separately until the
/// program exits. A program still running after `limit` is killed with
/// SIGKILL (`timed_out` is then true). The child inherits the environment.
completed_process
run_to_completion(const std::string& path, const std::vector<std::string>& args,
                  const std::string& input = {},
                  std::chrono::milliseconds limit = std::chrono::seconds{30});

/// Runs `path` (a writer printing "acked <i> <n>" per acknowledged write)
/// with `args` until it printed `count` lines, kills it with SIGKILL, and
/// returns n by i for every write it acknowledged, those it printed while
/// dying included.
std::map<long, uint64_t>
acked_until_killed(const std::string& path,
                   const std::vector<std::string>& args, size_t count);

} // namespace statekeeper::test
