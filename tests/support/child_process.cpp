#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace statekeeper::test {

namespace {

std::vector<char*> make_argv(const std::string& path,
                             const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  return argv;
}

void close_fd(int& fd) {
  if (fd >= 0)
    close(fd);
  fd = -1;
}

// Appends what is readable on `fd` to `out`; closes `fd` at its end.
void drain(int& fd, std::string& out) {
  char buf[4096];
  auto n = read(fd, buf, sizeof(buf));
  if (n > 0)
    out.append(buf, static_cast<size_t>(n));
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    close_fd(fd);
}

// Whether `fd` has something to read (or its end) before `deadline`.
bool readable_before(int fd, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd ready{fd, POLLIN, 0};
  return left.count() > 0 &&
         poll(&ready, 1, static_cast<int>(left.count()) + 1) > 0;
}

// Starts `path` with `args`; stderr goes where stdout goes, or with a
// non-null `err` on a pipe of its own whose read end `*err` receives;
// stdin is `in` if given (the caller closes its copy), else the test's.
child_process start(const std::string& path,
                    const std::vector<std::string>& args, int* err,
                    int in = -1) {
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 ||
      (err != nullptr && pipe2(err_pipe, O_CLOEXEC) != 0)) {
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1]})
      close_fd(*fd);
    return {};
  }
  auto argv = make_argv(path, args);
  // posix_spawn, not fork: a fork of a test process under ThreadSanitizer
  // (many threads, the sanitizer's own locks) can leave the child stuck
  // before it reaches exec. dup2 clears close-on-exec on the copies.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in >= 0)
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(
      &actions, err != nullptr ? err_pipe[1] : out_pipe[1], STDERR_FILENO);
  pid_t pid = -1;
  if (posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(),
                  environ) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  if (pid < 0) {
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    return {};
  }
  if (err != nullptr)
    *err = err_pipe[0];
  return {pid, out_pipe[0]};
}

} // namespace

child_process start_child(const std::string& path,
                          const std::vector<std::string>& args) {
  return start(path, args, nullptr);
}

scoped_child::scoped_child(const std::string& path,
                           const std::vector<std::string>& args,
                           bool separate_stderr)
    : child_(start(path, args, separate_stderr ? &err_ : nullptr)) {
  // nop
}

scoped_child::~scoped_child() {
  stop();
  close_fd(child_.out);
  close_fd(err_);
}

std::string scoped_child::read_line(std::chrono::milliseconds limit) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (child_.out >= 0 && readable_before(child_.out, deadline)) {
    char c;
    if (read(child_.out, &c, 1) != 1 || c == '\n')
      break;
    line += c;
  }
  return line;
}

std::string scoped_child::read_errors(std::chrono::milliseconds limit) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (err_ >= 0 && readable_before(err_, deadline))
    drain(err_, text);
  return text;
}

void scoped_child::signal(int sig) {
  if (!stopped_ && child_.pid > 0)
    kill(child_.pid, sig);
}

bool scoped_child::reap(std::chrono::milliseconds limit) {
  if (stopped_)
    return true;
  int status = 0;
  bool gone = false; // not our child (any more): nothing to wait for
  auto reaped = eventually(
      [&] {
        auto pid = waitpid(child_.pid, &status, WNOHANG);
        gone = pid < 0 && errno != EINTR;
        return pid == child_.pid || gone;
      },
      limit);
  if (!reaped)
    return false;
  stopped_ = true;
  if (gone)
    return true;
  if (WIFEXITED(status))
    exit_code_ = WEXITSTATUS(status);
  return true;
}

int scoped_child::wait(std::chrono::milliseconds limit) {
  if (child_.pid > 0)
    reap(limit);
  return exit_code_;
}

int scoped_child::stop(std::chrono::milliseconds grace) {
  if (stopped_ || child_.pid <= 0)
    return exit_code_;
  kill(child_.pid, SIGTERM);
  if (!reap(grace)) {
    kill(child_.pid, SIGKILL);
    int status = 0;
    stopped_ = true;
    if (waitpid(child_.pid, &status, 0) == child_.pid && WIFEXITED(status))
      exit_code_ = WEXITSTATUS(status);
  }
  return exit_code_;
}

completed_process run_to_completion(const std::string& path,
                                    const std::vector<std::string>& args,
                                    const std::string& input,
                                    std::chrono::milliseconds limit) {
  completed_process result;
  // stdin is a socket rather than a pipe: send() with MSG_NOSIGNAL fails
  // with EPIPE instead of raising SIGPIPE in the test when the child exits
  // without reading everything.
  int in_pair[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    return result;
  int err = -1;
  auto [pid, out] = start(path, args, &err, in_pair[1]);
  close_fd(in_pair[1]);
  int in = in_pair[0];
  if (pid <= 0) {
    close_fd(in);
    return result;
  }
  size_t written = 0;
  if (input.empty())
    close_fd(in);
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (out >= 0 || err >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    pollfd fds[3];
    nfds_t count = 0;
    for (int fd : {out, err})
      if (fd >= 0)
        fds[count++] = pollfd{fd, POLLIN, 0};
    if (in >= 0)
      fds[count++] = pollfd{in, POLLOUT, 0};
    if (poll(fds, count, static_cast<int>(left.count()) + 1) < 0) {
      if (errno == EINTR)
        continue;
      kill(pid, SIGKILL);
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].fd == out) {
        drain(out, result.out);
      } else if (fds[i].fd == err) {
        drain(err, result.err);
      } else if (fds[i].revents & POLLOUT) {
        auto n = send(in, input.data() + written, input.size() - written,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
          written += static_cast<size_t>(n);
        else if (errno != EINTR && errno != EAGAIN)
          close_fd(in);
        if (written == input.size())
          close_fd(in);
      } else {
        // The child closed its stdin.
        close_fd(in);
      }
    }
  }
  close_fd(in);
  close_fd(out);
  close_fd(err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    // retry
  }
  if (!result.timed_out && WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  return result;
}

std::map<long, uint64_t>
acked_until_killed(const std::string& path,
                   const std::vector<std::string>& args, size_t count) {
  std::map<long, uint64_t> acked;
  auto [pid, fd] = start_child(path, args);
  if (pid <= 0)
    return acked;
  std::string text;
  // Takes the complete "acked KEY VERSION" lines out of `text`.
  auto parse = [&] {
    size_t begin = 0;
    for (auto end = text.find('\n'); end != std::string::npos;
         begin = end + 1, end = text.find('\n', begin)) {
      long key = 0;
      unsigned long long version = 0;
      auto line = text.substr(begin, end - begin);
      if (std::sscanf(line.c_str(), "acked %ld %llu", &key, &version) == 2)
        acked[key] = version;
    }
    text.erase(0, begin);
  };
  // A child that stops acknowledging is killed after a while: the caller
  // then sees fewer acknowledgements than it asked for, instead of hanging.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes{2};
  while (fd >= 0 && acked.size() < count && readable_before(fd, deadline)) {
    drain(fd, text);
    parse();
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  // What it wrote before it died counts too.
  while (fd >= 0)
    drain(fd, text);
  parse();
  return acked;
}

} // namespace statekeeper::test
