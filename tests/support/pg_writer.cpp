// Helper for the crash tests: runs a PostgreSQL-backed service on the
// database named by argv[1] and writes keys k0, k1, ... forever, printing
// "acked <i> <version>" after each acknowledged write. Sync durability,
// unless argv[2] is "async", when argv[3] is async-max-pending. With
// argv[2] = "txn", each write is instead a transaction putting keys
// t<i>-0 ... t<i>-4. With argv[2] = "writers", argv[3] threads write at
// once, each with its own blocking client (thread w writes the keys k<i>
// with i % argv[3] == w). The test kills it with SIGKILL and checks every
// acknowledged write (and that no transaction is half there).
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/blocking_client.hpp"
#include "actors/service.hpp"
#include "messages/register.hpp"

int main(int argc, char** argv) {
  std::string mode = argc > 2 ? argv[2] : "";
  bool with_count = mode == "async" || mode == "writers";
  if (argc < 2 || argc > 4 || with_count != (argc == 4)) {
    std::fprintf(stderr,
                 "usage: pg_writer CONNINFO [txn | async MAX | writers N]\n");
    return 2;
  }
  bool transactions = mode == "txn";
  caf::actor_system_config cfg;
  statekeeper::register_types(cfg);
  caf::actor_system sys{cfg};
  statekeeper::service_options opts;
  statekeeper::postgres_options pg;
  pg.conninfo = argv[1];
  if (mode == "async") {
    pg.mode = statekeeper::durability::async;
    pg.async_max_pending = std::stoull(argv[3]);
  }
  opts.postgres = pg;
  auto router = statekeeper::spawn_service(sys, opts);
  if (!router) {
    std::fprintf(stderr, "%s\n", sys.render(router.error()).c_str());
    return 1;
  }
  statekeeper::namespace_path ns{"crash", {"writer"}};
  if (mode == "writers") {
    long n = std::stol(argv[3]);
    std::mutex out;
    std::vector<std::thread> threads;
    for (long w = 0; w < n; ++w)
      threads.emplace_back([&, w] {
        statekeeper::blocking_client client{sys, *router};
        for (long i = w;; i += n) {
          auto version = client.put(ns, "k" + std::to_string(i),
                                    "value-" + std::to_string(i));
          if (!version)
            continue;
          std::lock_guard<std::mutex> guard{out};
          std::printf("acked %ld %llu\n", i,
                      static_cast<unsigned long long>(*version));
          std::fflush(stdout);
        }
      });
    for (auto& t : threads)
      t.join();
  }
  statekeeper::blocking_client client{sys, *router};
  for (long i = 0;; ++i) {
    caf::expected<uint64_t> version{caf::error{}};
    if (transactions) {
      std::vector<statekeeper::txn_op> ops;
      for (int k = 0; k < 5; ++k)
        ops.push_back({statekeeper::txn_op_kind::put,
                       "t" + std::to_string(i) + "-" + std::to_string(k),
                       "txn-" + std::to_string(i), caf::none, caf::none});
      auto result = client.txn(ns, {}, ops);
      if (result)
        version = result->revision;
    } else {
      version =
          client.put(ns, "k" + std::to_string(i), "value-" + std::to_string(i));
    }
    if (version) {
      std::printf("acked %ld %llu\n", i,
                  static_cast<unsigned long long>(*version));
      std::fflush(stdout);
    }
  }
}
