#include "app/cli/cli_watch.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <caf/event_based_actor.hpp>
#include <caf/optional.hpp>

#include "actors/blocking_client.hpp"
#include "app/cli/cli_output.hpp"
#include "messages/error.hpp"

namespace statekeeper::cli {

namespace {

// The exit statuses of the other commands: 0 success, 2 error.
constexpr int exit_stopped = 0;
constexpr int exit_ended = 2;

/// How often the service is asked whether it still answers.
constexpr auto probe_interval = std::chrono::seconds{1};

int fail(std::string_view what) {
  std::cerr << "statekeeper-cli: " << what << std::endl;
  return exit_ended;
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Writes all of `text` to standard output; false (errno set) if it cannot.
bool write_out(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n > 0)
      done += static_cast<size_t>(n);
    else if (n < 0 && errno != EINTR)
      return false;
  }
  return true;
}

// Why the watch is over. Set from CAF threads, at most once (the first
// reason wins); waking the waiting thread through an eventfd lets it wait
// for this and for the stop signals in one poll.
class watch_end {
 public:
  watch_end() : fd_(eventfd(0, EFD_CLOEXEC)) {
    // nop
  }

  ~watch_end() {
    if (fd_ >= 0)
      close(fd_);
  }

  watch_end(const watch_end&) = delete;
  watch_end& operator=(const watch_end&) = delete;

  /// Readable once the watch ended; -1 if no eventfd could be made.
  int fd() const { return fd_; }

  void end(std::string why) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (ended_)
        return;
      ended_ = true;
      why_ = std::move(why);
    }
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof(one));
  }

  bool ended() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return ended_;
  }

  std::string why() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return why_;
  }

 private:
  mutable std::mutex mtx_;
  bool ended_ = false;
  std::string why_;
  int fd_;
};

// Prints the batches of one watch. Called on one CAF thread at a time.
class event_printer {
 public:
  event_printer(const invocation& inv, std::shared_ptr<watch_end> end)
      : format_(inv.json ? output_format::json : output_format::plain),
        show_progress_(inv.json || inv.progress), in_snapshot_(!inv.from),
        end_(std::move(end)) {
    if (inv.from)
      cursor_ = *inv.from;
  }

  void print(const watch_batch& events) {
    printed_ = true;
    if (end_->ended())
      return;
    std::string out;
    for (auto& ev : events) {
      if (ev.kind == watch_event_kind::dropped) {
        // The service names the cursor of the last event it sent.
        if (!in_snapshot_)
          cursor_ = ev.cursor();
        if (write(out))
          end_->end("watch dropped: " + ev.value + "; " + resume_hint());
        return;
      }
      if (ev.kind == watch_event_kind::snapshot_done)
        in_snapshot_ = false;
      // Mid-snapshot, resuming would replay the whole history at best:
      // the hint is a new snapshot instead.
      if (!in_snapshot_)
        cursor_ = ev.cursor();
      if (ev.kind == watch_event_kind::progress && !show_progress_)
        continue;
      out += render_event(format_, ev);
    }
    write(out);
  }

  /// Whether any events arrived: the watch had begun.
  bool printed() const { return printed_; }

 private:
  bool write(const std::string& text) {
    if (text.empty() || write_out(text))
      return true;
    end_->end(std::string{"cannot write standard output: "} +
              std::strerror(errno));
    return false;
  }

  std::string resume_hint() const {
    if (cursor_)
      return "resume with --from " + to_string(*cursor_);
    return "watch again without --from for a new snapshot";
  }

  output_format format_;
  bool show_progress_;
  bool in_snapshot_;
  /// The cursor of the last event handled after the snapshot.
  caf::optional<watch_cursor> cursor_;
  std::shared_ptr<watch_end> end_;
  std::atomic<bool> printed_{false};
};

// A quiet watch receives nothing, whether the service is idle or gone: a
// lost connection would go unnoticed. So this asks the service every
// probe_interval whether the namespace exists, only to see it answer; a
// lost connection fails the request at once (storage_unavailable), a
// service that stopped answering after `timeout` (timeout). Either ends
// the watch.
caf::behavior probe_impl(caf::event_based_actor* self, router_actor router,
                         namespace_path ns, caf::timespan timeout,
                         std::shared_ptr<watch_end> end) {
  self->delayed_send(self, probe_interval, tick_atom::value);
  return {
      [=](tick_atom) {
        self->request(router, timeout, ns_exists_atom::value, ns)
            .then(
                [=](bool) {
                  self->delayed_send(self, probe_interval, tick_atom::value);
                },
                [=](caf::error& err) {
                  end->end("watch ended: " +
                           self->system().render(
                               in_our_terms(std::move(err), "the service")));
                  self->quit();
                });
      },
  };
}

// Waits until a stop signal arrives (returns true) or the watch ends
// (returns false).
bool wait_for_stop(int signal_fd, const watch_end& end) {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {end.fd(), POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (fds[1].revents != 0 || end.ended())
      return false;
    if (fds[0].revents != 0) {
      signalfd_siginfo info;
      [[maybe_unused]] auto n = read(signal_fd, &info, sizeof(info));
      return true;
    }
  }
}

} // namespace

void block_stop_signals() {
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_watch(caf::actor_system& sys, const router_actor& router,
              const invocation& inv) {
  auto set = stop_signals();
  auto end = std::make_shared<watch_end>();
  int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
  if (signal_fd < 0 || end->fd() < 0) {
    auto what = std::string{"cannot wait for signals: "} + std::strerror(errno);
    if (signal_fd >= 0)
      close(signal_fd);
    return fail(what);
  }
  auto printer = std::make_shared<event_printer>(inv, end);
  blocking_client client{sys, router, inv.connection.timeout};
  caf::optional<watch_cursor> from;
  if (inv.from)
    from = *inv.from;
  auto sub = client.watch(
      inv.ns, inv.prefixes, from,
      [printer](const watch_batch& events) { printer->print(events); });
  if (!sub) {
    close(signal_fd);
    // The events may overtake the reply that the watch began: if some were
    // printed, the service went away with the watch already running.
    auto why = client.render(sub.error());
    return fail(printer->printed() ? "watch ended: " + why : why);
  }
  auto probe =
      sys.spawn(probe_impl, router, inv.ns, inv.connection.timeout, end);
  bool stopped = wait_for_stop(signal_fd, *end);
  close(signal_fd);
  caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  sub->stop();
  if (stopped)
    return exit_stopped;
  return fail(end->ended() ? end->why() : "waiting for the watch failed");
}

} // namespace statekeeper::cli
