// Measures statekeeper over CAF networking against the same operations
// in-process, in one run: one client actor keeps 1 or 64 requests (50/50
// put/get, 64-byte values, 1 namespace) in flight and records the latency
// of each. Remote runs go over 127.0.0.1 between two actor systems in this
// process, plain TCP and anonymous TLS. Prints operations per second,
// median and p99 latency, and each remote figure as a ratio of in-process.
// Usage: statekeeper_remote_bench [--ops=N]   (default 20000 per run)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
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
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
  }
};

struct figures {
  double ops_per_s = 0;
  double median_us = 0;
  double p99_us = 0;
};

struct client_state {
  sk::router_actor router;
  caf::actor done;
  int ops = 0;
  int sent = 0;
  int received = 0;
  std::vector<double> latencies_us;
};

using client_actor = caf::stateful_actor<client_state>;

void send_one(client_actor* self);

void answered(client_actor* self, clock_type::time_point sent) {
  auto& st = self->state;
  st.latencies_us.push_back(
    std::chrono::duration<double, std::micro>(clock_type::now() - sent)
      .count());
  if (++st.received == st.ops) {
    self->send(st.done, std::move(st.latencies_us));
    self->quit();
  } else if (st.sent < st.ops) {
    send_one(self);
  }
}

void send_one(client_actor* self) {
  auto& st = self->state;
  auto i = st.sent++;
  static const sk::namespace_path ns{"bench", {"remote"}};
  auto key = "key-" + std::to_string(i % 10000);
  auto sent = clock_type::now();
  if (i % 2 == 0)
    self->request(st.router, caf::infinite, sk::put_atom::value, ns, key,
                  std::string(64, 'v'), sk::ttl_option{})
      .then([self, sent](uint64_t) { answered(self, sent); });
  else
    self->request(st.router, caf::infinite, sk::get_atom::value, ns, key)
      .then([self, sent](caf::optional<sk::entry>&) { answered(self, sent); });
}

caf::behavior client(client_actor* self, sk::router_actor router,
                     caf::actor done, int ops, int in_flight) {
  auto& st = self->state;
  st.router = std::move(router);
  st.done = std::move(done);
  st.ops = ops;
  st.latencies_us.reserve(ops);
  for (int k = 0; k < in_flight && k < ops; ++k)
    send_one(self);
  return {[](int) {}};
}

figures measure(caf::actor_system& sys, const sk::router_actor& router,
                int ops, int in_flight) {
  caf::scoped_actor waiter{sys};
  auto start = clock_type::now();
  sys.spawn(client, router, caf::actor{waiter}, ops, in_flight);
  std::vector<double> latencies;
  waiter->receive([&](std::vector<double>& xs) { latencies = std::move(xs); });
  figures result;
  result.ops_per_s = ops / seconds_since(start);
  auto summary = summarize(std::move(latencies));
  result.median_us = summary.median;
  result.p99_us = summary.p99;
  return result;
}

void print(const char* name, int in_flight, const figures& f,
           const figures& base) {
  std::printf("  %-22s %3d in flight: %9.0f ops/s (%.2fx)  median %7.1f us "
              "(%.1fx)  p99 %7.1f us (%.1fx)\n",
              name, in_flight, f.ops_per_s, f.ops_per_s / base.ops_per_s,
              f.median_us, f.median_us / base.median_us, f.p99_us,
              f.p99_us / base.p99_us);
}

} // namespace

int main(int argc, char** argv) {
  int ops = 20000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--ops=", 6) == 0)
      ops = std::max(1000, std::atoi(argv[i] + 6));
  bench_config server_cfg;
  caf::actor_system server{server_cfg};
  auto router = *sk::spawn_service(server);
  sk::remote_options plain;
  plain.port = 0;
  auto tls = plain;
  tls.tls = true;
  auto plain_port = *sk::publish_service(server, router, plain);
  auto tls_port = *sk::publish_service(server, router, tls);
  bench_config client_cfg;
  caf::actor_system client_sys{client_cfg};
  auto remote = *sk::connect_service(client_sys, "127.0.0.1", plain_port);
  sk::connect_options tls_opts;
  tls_opts.tls = true;
  auto remote_tls
    = *sk::connect_service(client_sys, "127.0.0.1", tls_port, tls_opts);
  std::printf("statekeeper over CAF networking vs in-process (%d ops per "
              "run, 50/50 put/get, 64-byte values; ratios against "
              "in-process)\n",
              ops);
  for (int in_flight : {1, 64}) {
    // Warm up each path once so connections and the namespace exist.
    measure(server, router, ops / 10, in_flight);
    measure(client_sys, remote, ops / 10, in_flight);
    measure(client_sys, remote_tls, ops / 10, in_flight);
    auto local = measure(server, router, ops, in_flight);
    auto over_tcp = measure(client_sys, remote, ops, in_flight);
    auto over_tls = measure(client_sys, remote_tls, ops, in_flight);
    print("in-process", in_flight, local, local);
    print("remote, TCP", in_flight, over_tcp, local);
    print("remote, anonymous TLS", in_flight, over_tls, local);
  }
  remote = nullptr;
  remote_tls = nullptr;
  sk::stop_service(router);
  return 0;
}
