// The standalone binary as a user runs it: --help lists the options, bad
// options are refused, it logs one line at start and stops cleanly on
// SIGTERM and SIGINT.
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "actors/remote/remote.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/start_line.hpp"

namespace {

struct run_result {
  int status = -1;
  std::string output;
};

run_result run(const std::string& args) {
  run_result result;
  auto cmd = std::string{STATEKEEPER_BINARY} + " " + args + " 2>&1";
  FILE* out = popen(cmd.c_str(), "r");
  REQUIRE(out != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), out)) > 0)
    result.output.append(buf.data(), n);
  int status = pclose(out);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n')
    line += c;
  return line;
}

// Waits up to `limit` for `pid`; returns its exit code, or -1 on timeout
// (the process is then killed).
int wait_exit(pid_t pid, std::chrono::seconds limit) {
  int status = 0;
  if (statekeeper::test::eventually(
          [&] { return waitpid(pid, &status, WNOHANG) == pid; }, limit))
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// The port in the service's start line.
uint16_t port_of(const std::string& start_line) {
  auto port = statekeeper::test::serving_port(start_line);
  REQUIRE(port != 0);
  return port;
}

// A plain TCP connection to 127.0.0.1:port that says nothing, as a client
// that holds a connection open would.
int connect_raw(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// True if the service closed `fd` within `limit`; what it sent before
// (CAF's handshake) is read and dropped.
bool closed_by_service(int fd, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[4096];
    if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
      return true;
  }
}

// CPU time the process used so far, in clock ticks (user plus system).
long cpu_ticks(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  // Fields after the command name, which is in parentheses: state is the
  // third field, utime and stime the 14th and 15th.
  std::istringstream rest{stat.substr(stat.rfind(')') + 2)};
  std::vector<std::string> fields{std::istream_iterator<std::string>{rest}, {}};
  REQUIRE(fields.size() > 12);
  return std::stol(fields[11]) + std::stol(fields[12]);
}

// A client session can be opened and used: retries for a while, since
// closed connections are noticed by the service a moment later.
void client_gets_in(uint16_t port) {
  statekeeper::test::test_config cfg;
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto router = statekeeper::connect_service(sys, "127.0.0.1", port);
  statekeeper::test::eventually([&] {
    if (!router)
      router = statekeeper::connect_service(sys, "127.0.0.1", port);
    return static_cast<bool>(router);
  });
  REQUIRE(router);
  statekeeper::blocking_client client{sys, *router};
  statekeeper::namespace_path ns{"acme", {"limits"}};
  REQUIRE(client.put(ns, "k", "v"));
  auto got = client.get(ns, "k");
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->value == "v");
}

} // namespace

TEST_CASE("the binary's --help lists every option with its default", "[app]") {
  auto help = run("--help");
  CHECK(help.status == 0);
  for (auto option :
       {"statekeeper.max-key-bytes", "statekeeper.max-value-bytes",
        "statekeeper.max-batch", "statekeeper.max-page",
        "statekeeper.sweep-interval", "statekeeper.pin-namespaces",
        "scheduler.max-threads", "work-stealing.moderate-poll-attempts",
        "statekeeper.backend", "statekeeper.postgres.conninfo",
        "statekeeper.postgres.durability"}) {
    INFO(option);
    CHECK(help.output.find(option) != std::string::npos);
  }
  CHECK(help.output.find("(default: 4096)") != std::string::npos);
  // CAF's own options show their defaults too: the binary's, where it sets
  // the scheduler for a service (use_service_scheduler).
  CHECK(help.output.find("moderate steal attempts (default: 0)") !=
        std::string::npos);
}

TEST_CASE("bad configuration is refused with the offending option", "[app]") {
  auto unknown = run("--statekeeper.no-such-option=1");
  CHECK(unknown.status == 2);
  CHECK(unknown.output.find("no-such-option") != std::string::npos);
  auto invalid = run("--statekeeper.sweep-interval=0s");
  CHECK(invalid.status == 2);
  CHECK(invalid.output.find("sweep-interval must be positive") !=
        std::string::npos);
  auto backend = run("--statekeeper.backend=redis");
  CHECK(backend.status == 2);
  CHECK(backend.output.find("statekeeper.backend must be memory or postgres") !=
        std::string::npos);
  auto unreachable = run("--statekeeper.backend=postgres "
                         "'--statekeeper.postgres.conninfo=host=127.0.0.1 "
                         "port=1'");
  CHECK(unreachable.status == 2);
  CHECK(unreachable.output.find("PostgreSQL unavailable") != std::string::npos);
  auto half_tls = run("--statekeeper.port=0 --statekeeper.tls "
                      "--openssl.certificate=server.pem");
  CHECK(half_tls.status == 2);
  CHECK(half_tls.output.find("bad configuration: TLS with certificates needs "
                             "its private key (openssl.key)") !=
        std::string::npos);
  auto bad_token = run("'--statekeeper.tokens=[\"no-colon\"]'");
  CHECK(bad_token.status == 2);
  CHECK(bad_token.output.find("statekeeper.tokens: each entry must be") !=
        std::string::npos);
  auto memory_cluster = run("--statekeeper.cluster.enable");
  CHECK(memory_cluster.status == 2);
  CHECK(memory_cluster.output.find(
            "cluster needs the postgres backend: the nodes share one "
            "PostgreSQL database") != std::string::npos);
  auto no_connections = run("--statekeeper.max-connections=0");
  CHECK(no_connections.status == 2);
  CHECK(no_connections.output.find(
            "statekeeper.max-connections must be at least 1") !=
        std::string::npos);
}

TEST_CASE("the service logs its start and stops on SIGTERM and SIGINT",
          "[app]") {
  for (int sig : {SIGTERM, SIGINT}) {
    auto [pid, out] = statekeeper::test::start_child(STATEKEEPER_BINARY,
                                                     {"--statekeeper.port=0"});
    REQUIRE(pid > 0);
    auto line = read_line(out);
    CHECK(line.find("statekeeper: serving namespaces on 127.0.0.1:") !=
          std::string::npos);
    CHECK(line.find("backend=memory") != std::string::npos);
    CHECK(line.find("open: no authentication, plain TCP") != std::string::npos);
    REQUIRE(kill(pid, sig) == 0);
    CHECK(wait_exit(pid, std::chrono::seconds{10}) == 0);
    close(out);
  }
}

TEST_CASE("another process uses the running binary over the network",
          "[app][remote]") {
  auto [pid, out] = statekeeper::test::start_child(STATEKEEPER_BINARY,
                                                   {"--statekeeper.port=0"});
  REQUIRE(pid > 0);
  auto port = port_of(read_line(out));
  {
    statekeeper::test::test_config cfg;
    cfg.load<caf::io::middleman>();
    caf::actor_system sys{cfg};
    auto router = statekeeper::connect_service(sys, "127.0.0.1", port);
    REQUIRE(router);
    statekeeper::blocking_client client{sys, *router};
    statekeeper::namespace_path ns{"acme", {"cli"}};
    auto v = client.put(ns, "k", std::string{"\0v", 2});
    REQUIRE(v);
    auto got = client.get(ns, "k");
    REQUIRE(got);
    REQUIRE(*got);
    CHECK((*got)->value == std::string{"\0v", 2});
    CHECK((*got)->version == *v);
    CHECK(statekeeper::code_of(client.update(ns, "k", "x", *v + 1).error()) ==
          statekeeper::error_code::revision_mismatch);
  }
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(wait_exit(pid, std::chrono::seconds{10}) == 0);
  close(out);
}

TEST_CASE("beyond loopback the binary needs client certificates or an "
          "explicit insecure opt-out",
          "[app][security]") {
  auto refused = run("--statekeeper.port=0 "
                     "--statekeeper.listen-address=0.0.0.0");
  CHECK(refused.status == 2);
  CHECK(refused.output.find("needs TLS with client certificates") !=
        std::string::npos);
  CHECK(refused.output.find("statekeeper.insecure-no-client-auth") !=
        std::string::npos);
  // Told so explicitly, it listens, and warns first.
  auto [pid, out] = statekeeper::test::start_child(
      STATEKEEPER_BINARY,
      {"--statekeeper.port=0", "--statekeeper.listen-address=0.0.0.0",
       "--statekeeper.insecure-no-client-auth"});
  REQUIRE(pid > 0);
  auto warning = read_line(out);
  CHECK(warning.find("statekeeper: WARNING: listening on 0.0.0.0 without TLS "
                     "client certificates") != std::string::npos);
  auto line = read_line(out);
  CHECK(line.find("statekeeper: serving namespaces on 0.0.0.0:") !=
        std::string::npos);
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(wait_exit(pid, std::chrono::seconds{10}) == 0);
  close(out);
}

TEST_CASE("the binary raises its descriptor limit to the hard limit", "[app]") {
  rlimit saved;
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE(saved.rlim_max > 128);
  // The child inherits a low soft limit, as under a default ulimit.
  rlimit low = saved;
  low.rlim_cur = 128;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  auto [pid, out] = statekeeper::test::start_child(STATEKEEPER_BINARY,
                                                   {"--statekeeper.port=0"});
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE(pid > 0);
  auto line = read_line(out);
  CHECK(line.find("file descriptors=" + std::to_string(saved.rlim_max)) !=
        std::string::npos);
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(wait_exit(pid, std::chrono::seconds{10}) == 0);
  close(out);
}

TEST_CASE("beyond max-connections new connections are closed at once",
          "[app][limits]") {
  statekeeper::test::scoped_child service{
      STATEKEEPER_BINARY,
      {"--statekeeper.port=0", "--statekeeper.max-connections=8"}};
  REQUIRE(service.pid() > 0);
  auto line = service.read_line(std::chrono::seconds{30});
  CHECK(line.find("max connections=8") != std::string::npos);
  auto port = port_of(line);
  std::vector<int> held;
  for (int i = 0; i < 8; ++i)
    held.push_back(connect_raw(port));
  std::vector<int> extra;
  for (int i = 0; i < 4; ++i)
    extra.push_back(connect_raw(port));
  for (auto fd : extra) {
    CHECK(closed_by_service(fd, std::chrono::seconds{5}));
    close(fd);
  }
  for (auto fd : held) {
    CHECK_FALSE(closed_by_service(fd, std::chrono::milliseconds{100}));
    close(fd);
  }
  // Once connections close, there is room again.
  client_gets_in(port);
  CHECK(service.stop() == 0);
}

TEST_CASE("out of descriptors the service turns connections away without "
          "spinning",
          "[app][limits]") {
  // prlimit sets soft and hard limit, so the service cannot raise it.
  constexpr int descriptors = 40;
  statekeeper::test::scoped_child service{
      "/usr/bin/prlimit",
      {"--nofile=" + std::to_string(descriptors) + ":" +
           std::to_string(descriptors),
       STATEKEEPER_BINARY, "--statekeeper.port=0"}};
  REQUIRE(service.pid() > 0);
  auto line = service.read_line(std::chrono::seconds{30});
  CHECK(line.find("file descriptors=" + std::to_string(descriptors)) !=
        std::string::npos);
  auto port = port_of(line);
  std::vector<int> conns;
  for (int i = 0; i < descriptors + 20; ++i)
    conns.push_back(connect_raw(port));
  // The service cannot hold them all: those it has no descriptor for are
  // closed rather than left waiting. It accepts in order, so once the last
  // one is closed, so are the others it turned away.
  int closed = 0;
  for (auto fd = conns.rbegin(); fd != conns.rend(); ++fd)
    if (closed_by_service(
            *fd, std::chrono::milliseconds{fd == conns.rbegin() ? 5000 : 50}))
      ++closed;
  CHECK(closed >= 20);
  // Nothing left to accept, nothing to do: the service idles. A busy loop
  // would use about as much CPU time as wall time.
  auto before = cpu_ticks(service.pid());
  std::this_thread::sleep_for(std::chrono::seconds{2});
  auto used = cpu_ticks(service.pid()) - before;
  CHECK(used < sysconf(_SC_CLK_TCK));
  for (auto fd : conns)
    close(fd);
  client_gets_in(port);
  CHECK(service.stop() == 0);
}
