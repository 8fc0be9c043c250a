#include "app/server/connection_limit.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

namespace {

template <class Fn> Fn next_definition(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

using accept_fn = int (*)(int, sockaddr*, socklen_t*);
using accept4_fn = int (*)(int, sockaddr*, socklen_t*, int);
using close_fn = int (*)(int);

int real_close(int fd) {
  static auto real = next_definition<close_fn>("close");
  return real(fd);
}

// Set by limit_connections; until then accept and close only pass through.
std::atomic<bool> limiting{false};
std::size_t max_open = 0;
std::atomic<std::size_t> open_count{0};
// One flag per descriptor number below the soft limit: set while it is a
// connection we accepted, so that close() knows what to count. Never freed:
// close() may still run while static objects are destroyed at exit.
std::atomic<bool>* accepted = nullptr;
std::size_t accepted_size = 0;
// A descriptor held so that one can always be freed to turn a connection
// away; -1 while it is lent out or could not be reopened.
std::atomic<int> reserve{-1};

int open_reserve() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

// Out of descriptors: free the reserve, take the waiting connection off the
// queue and close it, then take the reserve back. Without a reserve (another
// thread holds it, or it could not be reopened) pause briefly instead, so
// that the multiplexer polls rather than spins.
template <class Accept> void turn_away(Accept&& accept_one) {
  auto fd = reserve.exchange(-1);
  if (fd < 0) {
    if (auto reopened = open_reserve(); reopened >= 0)
      reserve.store(reopened);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    return;
  }
  real_close(fd);
  auto conn = accept_one();
  if (conn >= 0)
    real_close(conn);
  reserve.store(open_reserve());
}

// Counts a connection the real accept returned, or closes it when the cap
// is reached. Returns what the caller of accept gets.
template <class Accept> int admit(int fd, Accept&& accept_one) {
  if (!limiting.load(std::memory_order_acquire))
    return fd;
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE) {
      turn_away(accept_one);
      errno = EAGAIN;
    }
    return -1;
  }
  if (open_count.fetch_add(1) >= max_open ||
      static_cast<std::size_t>(fd) >= accepted_size) {
    open_count.fetch_sub(1);
    real_close(fd);
    errno = EAGAIN;
    return -1;
  }
  accepted[fd].store(true);
  return fd;
}

} // namespace

extern "C" {

int accept(int sockfd, sockaddr* addr, socklen_t* addrlen) {
  static auto real = next_definition<accept_fn>("accept");
  auto fd = real(sockfd, addr, addrlen);
  return admit(fd, [&] { return real(sockfd, nullptr, nullptr); });
}

int accept4(int sockfd, sockaddr* addr, socklen_t* addrlen, int flags) {
  static auto real = next_definition<accept4_fn>("accept4");
  auto fd = real(sockfd, addr, addrlen, flags);
  return admit(fd, [&] { return real(sockfd, nullptr, nullptr, flags); });
}

int close(int fd) {
  // The flag is cleared before the descriptor is released: once released,
  // its number may be accepted again by another thread.
  if (limiting.load(std::memory_order_acquire) && fd >= 0 &&
      static_cast<std::size_t>(fd) < accepted_size &&
      accepted[fd].exchange(false))
    open_count.fetch_sub(1);
  return real_close(fd);
}

} // extern "C"

namespace statekeeper {

void limit_connections(std::size_t max_connections) {
  if (limiting.load())
    return;
  rlimit lim;
  // Descriptor numbers stay below the soft limit; a connection numbered
  // beyond what is tracked is turned away.
  constexpr rlim_t most_tracked = rlim_t{1} << 22;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur > most_tracked)
    lim.rlim_cur = most_tracked;
  accepted_size = static_cast<std::size_t>(lim.rlim_cur);
  accepted = new std::atomic<bool>[accepted_size]();
  max_open = max_connections;
  reserve.store(open_reserve());
  limiting.store(true, std::memory_order_release);
}

} // namespace statekeeper
