// Measures statekeeper over CAF networking against raw CAF remoting, with
// the service and the client in separate processes (this program starts
// itself with --serve as the server). One client actor keeps 1 or 64
// requests (50/50 put/get, 100-byte values, one namespace) in flight and
// records the latency of each. The floor: a plain actor owning an
// unordered_map, published with caf::io::publish and reached with
// caf::io::remote_actor, answering the same puts and gets (a get returns
// the value). Also the same actor behind relays where statekeeper has
// actors between the caller and the owner (on the client the handle, which
// delegates, and the link; on the service the session; both answer through
// promises): what those hops cost. Prints operations per second, median
// and p99 latency, and each figure as a ratio of the floor with as many in
// flight.
// Usage: statekeeper_remote_bench [--ops=N]   (default 20000 per run)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/remote/remote.hpp"
#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

class bench_config : public caf::actor_system_config {
 public:
  bench_config() {
    sk::register_types(*this);
    sk::use_service_scheduler(*this);
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
  }
};

// -- hops
// --------------------------------------------------------------------------

// Stands in front of `target` as statekeeper's session (on the service) and
// link (on the client) do: each request becomes a request of its own,
// answered through a promise.
caf::behavior promise_relay(caf::event_based_actor* self, caf::actor target) {
  return {
      [=](map_put atom, std::string& key,
          std::string& value) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        self->request(target, caf::infinite, atom, std::move(key),
                      std::move(value))
            .then([rp](bool ok) mutable { rp.deliver(ok); });
        return rp;
      },
      [=](map_get atom, std::string& key) -> caf::result<std::string> {
        auto rp = self->make_response_promise<std::string>();
        self->request(target, caf::infinite, atom, std::move(key))
            .then([rp](std::string& value) mutable {
              rp.deliver(std::move(value));
            });
        return rp;
      },
  };
}

// Stands in front of `target` as the handle connect_service returns does:
// it delegates.
caf::behavior delegating_relay(caf::event_based_actor* self,
                               caf::actor target) {
  return {
      [=](map_put atom, std::string& key, std::string& value) {
        return self->delegate(target, atom, std::move(key), std::move(value));
      },
      [=](map_get atom, std::string& key) {
        return self->delegate(target, atom, std::move(key));
      },
  };
}

// -- the server process
// -------------------------------------------------------------------

// Publishes the service (TCP and TLS), the plain actor, and a session-like
// relay in front of it on free ports, prints them, and serves until its
// standard input closes.
int serve() {
  bench_config cfg;
  caf::actor_system sys{cfg};
  auto router = *sk::spawn_service(sys);
  sk::remote_options plain;
  plain.port = 0;
  auto tls = plain;
  tls.tls = true;
  auto plain_port = sk::publish_service(sys, router, plain);
  auto tls_port = sk::publish_service(sys, router, tls);
  auto owner = sys.spawn(map_owner);
  auto raw_port = sys.middleman().publish(owner, 0, "127.0.0.1");
  auto session = sys.spawn(promise_relay, owner);
  auto session_port = sys.middleman().publish(session, 0, "127.0.0.1");
  if (!plain_port || !tls_port || !raw_port || !session_port) {
    std::fprintf(stderr, "cannot publish\n");
    return 1;
  }
  std::printf("%u %u %u %u\n", *plain_port, *tls_port, *raw_port,
              *session_port);
  std::fflush(stdout);
  while (std::getchar() != EOF) {
    // until the client closes the pipe
  }
  caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  sk::stop_service(router);
  return 0;
}

// Starts `self_path --serve` with pipes to its standard input and output.
struct server_process {
  pid_t pid = -1;
  FILE* out = nullptr; // its standard output
  int in = -1;         // its standard input

  static server_process start(const char* self_path) {
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0)
      return {};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    char serve_flag[] = "--serve";
    char* argv[] = {const_cast<char*>(self_path), serve_flag, nullptr};
    server_process result;
    if (posix_spawn(&result.pid, self_path, &actions, nullptr, argv, environ) !=
        0)
      result.pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    result.in = to_child[1];
    result.out = fdopen(from_child[0], "r");
    return result;
  }

  void stop() {
    close(in);
    fclose(out);
    int status = 0;
    waitpid(pid, &status, 0);
  }
};

// -- the client
// -------------------------------------------------------------------

// Runs `ops` requests `op` from one client actor, `in_flight` at a time.
measured measure(caf::actor_system& sys, const request_fn& op, int ops,
                 int in_flight) {
  return run_drivers(sys, op, ops, 1, in_flight);
}

request_fn statekeeper_op(sk::router_actor router) {
  return [router](caf::event_based_actor* self, int i,
                  std::function<void()> next) {
    static const sk::namespace_path ns{"bench", {"remote"}};
    put_or_get(self, router, ns, i, std::move(next));
  };
}

request_fn raw_op(caf::actor owner) {
  return
      [owner](caf::event_based_actor* self, int i, std::function<void()> next) {
        map_put_or_get(self, owner, i, std::move(next));
      };
}

void print(const char* name, int in_flight, const measured& f,
           const measured& base) {
  std::printf("  %-24s %3d in flight: %9.0f ops/s (%.2fx)  median %7.1f us "
              "(%.1fx)  p99 %7.1f us (%.1fx)\n",
              name, in_flight, f.rate, f.rate / base.rate, f.latency.median,
              f.latency.median / base.latency.median, f.latency.p99,
              f.latency.p99 / base.latency.p99);
}

} // namespace

int main(int argc, char** argv) {
  int ops = 20000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--serve") == 0)
      return serve();
    if (std::strncmp(argv[i], "--ops=", 6) == 0)
      ops = std::max(1000, std::atoi(argv[i] + 6));
  }
  auto server = server_process::start("/proc/self/exe");
  unsigned plain_port = 0;
  unsigned tls_port = 0;
  unsigned raw_port = 0;
  unsigned session_port = 0;
  if (server.pid < 0 || std::fscanf(server.out, "%u %u %u %u", &plain_port,
                                    &tls_port, &raw_port, &session_port) != 4) {
    std::fprintf(stderr, "the server process did not start\n");
    return 1;
  }
  int rc = 0;
  {
    bench_config cfg;
    caf::actor_system sys{cfg};
    auto port = [](unsigned p) { return static_cast<uint16_t>(p); };
    auto remote = sk::connect_service(sys, "127.0.0.1", port(plain_port));
    sk::connect_options tls_opts;
    tls_opts.tls = true;
    auto remote_tls =
        sk::connect_service(sys, "127.0.0.1", port(tls_port), tls_opts);
    auto raw = sys.middleman().remote_actor("127.0.0.1", port(raw_port));
    auto session =
        sys.middleman().remote_actor("127.0.0.1", port(session_port));
    if (!remote || !remote_tls || !raw || !session) {
      std::fprintf(stderr, "cannot connect to the server process\n");
      rc = 1;
    } else {
      std::printf("statekeeper over CAF networking vs raw CAF remoting, "
                  "client and server in separate processes (%d ops per run, "
                  "50/50 put/get, 16-byte keys, 100-byte values; ratios against raw CAF "
                  "remoting)\n",
                  ops);
      // The plain actor behind statekeeper's hops: handle, link, session.
      auto link = sys.spawn(promise_relay, *session);
      auto handle = sys.spawn(delegating_relay, link);
      std::vector<figure> rows;
      for (int in_flight : {1, 64}) {
        // Warm up each path once so connections and the namespace exist.
        measure(sys, raw_op(*raw), ops / 10, in_flight);
        measure(sys, raw_op(handle), ops / 10, in_flight);
        measure(sys, statekeeper_op(*remote), ops / 10, in_flight);
        measure(sys, statekeeper_op(*remote_tls), ops / 10, in_flight);
        auto floor = measure(sys, raw_op(*raw), ops, in_flight);
        auto hops = measure(sys, raw_op(handle), ops, in_flight);
        auto over_tcp = measure(sys, statekeeper_op(*remote), ops, in_flight);
        auto over_tls =
            measure(sys, statekeeper_op(*remote_tls), ops, in_flight);
        print("raw CAF remoting", in_flight, floor, floor);
        print("raw, statekeeper's hops", in_flight, hops, floor);
        print("statekeeper, TCP", in_flight, over_tcp, floor);
        print("statekeeper, anonymous TLS", in_flight, over_tls, floor);
        auto n = std::to_string(in_flight);
        rows.push_back(make_figure("remote_raw_" + n, floor));
        rows.push_back(make_figure("remote_hops_" + n, hops));
        rows.push_back(make_figure("remote_tcp_" + n, over_tcp));
        rows.push_back(make_figure("remote_tls_" + n, over_tls));
      }
      print_figures(rows);
      caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    }
  }
  server.stop();
  return rc;
}
