// A TCP proxy on 127.0.0.1 in front of a port, for tests that cut the
// network between two processes: a node advertises the proxy's port
// (cluster.port), and the test closes the connections through it, or
// refuses new ones for a while, as a broken link or a partition would.
// Header-only; one thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace statekeeper::test {

class tcp_proxy {
 public:
  /// Listens on a free port of 127.0.0.1 and forwards to `upstream` there.
  explicit tcp_proxy(uint16_t upstream) : upstream_(upstream) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    auto addr = loopback(0);
    socklen_t len = sizeof(addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) !=
            0 ||
        ::pipe(wake_) != 0)
      throw std::runtime_error("tcp_proxy: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread{[this] { run(); }};
  }

  ~tcp_proxy() {
    stop_ = true;
    wake();
    thread_.join();
    for (auto& link : links_) {
      ::close(link.first);
      ::close(link.second);
    }
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  uint16_t port() const { return port_; }

  /// Closes every connection through the proxy; returns once they are
  /// closed. New connections are served (unless refusing).
  void cut() {
    std::unique_lock<std::mutex> guard{mtx_};
    auto wanted = ++cuts_requested_;
    wake();
    if (!done_.wait_for(guard, std::chrono::seconds{10},
                        [&] { return cuts_done_ >= wanted; }))
      throw std::runtime_error("tcp_proxy: the cut did not happen");
  }

  /// While on, every new connection is closed as soon as it is accepted.
  void refuse(bool on) { refusing_ = on; }

  /// Connections accepted and forwarded so far.
  int forwarded() const { return forwarded_; }

 private:
  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  void wake() {
    char c = 0;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
  }

  void close_all() {
    for (auto& link : links_) {
      ::shutdown(link.first, SHUT_RDWR);
      ::shutdown(link.second, SHUT_RDWR);
      ::close(link.first);
      ::close(link.second);
    }
    links_.clear();
  }

  void accept_one() {
    int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0)
      return;
    if (refusing_) {
      ::close(client);
      return;
    }
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = loopback(upstream_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
        0) {
      ::close(server);
      ::close(client);
      return;
    }
    // A side that stops reading holds the proxy's thread a second at most.
    timeval limit{1, 0};
    for (int fd : {client, server})
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    links_.emplace_back(client, server);
    ++forwarded_;
  }

  /// Moves what is readable on `from` to `to`; false once `from` closed.
  static bool pass(int from, int to) {
    char buf[16384];
    auto n = ::read(from, buf, sizeof(buf));
    if (n <= 0)
      return false;
    for (ssize_t at = 0; at < n;) {
      auto w = ::send(to, buf + at, static_cast<size_t>(n - at), MSG_NOSIGNAL);
      if (w <= 0)
        return false;
      at += w;
    }
    return true;
  }

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
      for (auto& link : links_) {
        fds.push_back({link.first, POLLIN, 0});
        fds.push_back({link.second, POLLIN, 0});
      }
      ::poll(fds.data(), fds.size(), 200);
      if (fds[0].revents & POLLIN) {
        char buf[64];
        [[maybe_unused]] auto n = ::read(wake_[0], buf, sizeof(buf));
      }
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (cuts_done_ < cuts_requested_) {
          close_all();
          cuts_done_ = cuts_requested_;
          done_.notify_all();
          continue;
        }
      }
      std::vector<std::pair<int, int>> kept;
      for (size_t i = 0; i < links_.size(); ++i) {
        auto& link = links_[i];
        auto up = fds[2 + 2 * i].revents;
        auto down = fds[3 + 2 * i].revents;
        bool open = true;
        if (up & (POLLIN | POLLHUP | POLLERR))
          open = pass(link.first, link.second);
        if (open && (down & (POLLIN | POLLHUP | POLLERR)))
          open = pass(link.second, link.first);
        if (open) {
          kept.push_back(link);
        } else {
          ::close(link.first);
          ::close(link.second);
        }
      }
      links_ = std::move(kept);
      if (fds[1].revents & POLLIN)
        accept_one();
    }
  }

  uint16_t upstream_;
  uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<int> forwarded_{0};
  std::mutex mtx_;
  std::condition_variable done_;
  uint64_t cuts_requested_ = 0;
  uint64_t cuts_done_ = 0;
  /// Client side, server side. Touched by the proxy's thread only.
  std::vector<std::pair<int, int>> links_;
  std::thread thread_;
};

} // namespace statekeeper::test
