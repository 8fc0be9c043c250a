// Durable writes per second with PostgreSQL (fsync on), printed as ratios
// against baselines run in the same process on the same server:
//  - one transaction per write through libpqxx, one connection;
//  - one transaction per write through libpqxx, one connection per writer
//    thread (the server's own WAL flushing batches some commits);
//  - statekeeper, sync durability (acknowledged after commit), group commit
//    over one connection, with as many concurrent writers.
// Needs a server: scripts/with-postgres.sh build/statekeeper_pg_bench
// Usage: statekeeper_pg_bench [--writes=N] [--writers=N]
#include <atomic>
#include <cstdio>
#include <memory>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

const std::string value(64, 'v');

void prepare_table(pqxx::connection& conn) {
  pqxx::work tx{conn};
  tx.exec("DROP TABLE IF EXISTS bench_entries");
  tx.exec("CREATE TABLE bench_entries (ns bytea, key bytea, value bytea,"
          " version bigint, expires_at bigint, PRIMARY KEY (ns, key))");
  tx.commit();
}

// One writer: `writes` upserts, each in its own transaction.
void write_one_by_one(int writer, int writes) {
  pqxx::connection conn;
  conn.prepare("upsert",
               "INSERT INTO bench_entries VALUES ($1, $2, $3, $4, NULL)"
               " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,"
               " version = EXCLUDED.version");
  pqxx::binarystring ns{"bench/w" + std::to_string(writer)};
  pqxx::binarystring val{value};
  for (int i = 0; i < writes; ++i) {
    pqxx::work tx{conn};
    tx.exec_prepared("upsert", ns, pqxx::binarystring{"k" + std::to_string(i)},
                     val, i + 1);
    tx.commit();
  }
}

double libpqxx_rate(int writers, int writes) {
  auto start = clock_type::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back(write_one_by_one, w, writes / writers);
  for (auto& t : threads)
    t.join();
  return writes / seconds_since(start);
}

double statekeeper_rate(caf::actor_system& sys, int writers, int writes,
                        sk::service_stats& stats) {
  sk::service_options opts;
  sk::postgres_options pg;
  pg.mode = sk::durability::sync;
  opts.postgres = pg;
  auto router = sk::spawn_service(sys, opts);
  if (!router) {
    std::fprintf(stderr, "cannot start: %s\n",
                 sys.render(router.error()).c_str());
    std::exit(1);
  }
  auto r = *router;
  auto failed = std::make_shared<std::atomic<int>>(0);
  // Each writer owns a namespace and writes one key after another.
  auto op = [r, failed](caf::event_based_actor* self, int i,
                        std::function<void()> next) {
    sk::namespace_path ns{"bench", {"w" + std::to_string(self->id())}};
    self->request(r, caf::infinite, sk::put_atom::value, ns,
                  "k" + std::to_string(i), value, sk::ttl_option{})
      .then([next](uint64_t) { next(); },
            [next, failed](caf::error&) {
              ++*failed;
              next();
            });
  };
  auto rate = run_drivers(sys, op, writes, writers, 1);
  if (*failed > 0) {
    std::fprintf(stderr, "%d writes failed: figures are not valid\n",
                 failed->load());
    std::exit(1);
  }
  caf::scoped_actor self{sys};
  self->request(r, std::chrono::seconds{10}, sk::stats_atom::value)
    .receive([&](sk::service_stats& x) { stats = x; }, [](caf::error&) {});
  sk::stop_service(r);
  return rate;
}

} // namespace

int main(int argc, char** argv) {
  int writes = 4000;
  int writers = 16;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--writes=", 9) == 0)
      writes = std::atoi(argv[i] + 9);
    else if (std::strncmp(argv[i], "--writers=", 10) == 0)
      writers = std::atoi(argv[i] + 10);
  }
  {
    pqxx::connection conn;
    prepare_table(conn);
  }
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};

  std::printf("statekeeper PostgreSQL bench: %d durable writes, %d writers, "
              "64-byte values, fsync on\n",
              writes, writers);
  auto single = libpqxx_rate(1, writes / 4);
  auto parallel = libpqxx_rate(writers, writes);
  sk::service_stats stats;
  auto grouped = statekeeper_rate(sys, writers, writes, stats);
  std::printf("  libpqxx, 1 txn per write, 1 connection      %8.0f writes/s "
              " (baseline)\n",
              single);
  std::printf("  libpqxx, 1 txn per write, %2d connections    %8.0f writes/s "
              " %.2fx\n",
              writers, parallel, parallel / single);
  std::printf("  statekeeper sync, group commit, 1 connection %7.0f writes/s "
              " %.2fx baseline, %.2fx %d connections\n",
              grouped, grouped / single, grouped / parallel, writers);
  std::printf("  statekeeper: %llu writes in %llu transactions (%.1f per "
              "transaction)\n",
              static_cast<unsigned long long>(stats.batches),
              static_cast<unsigned long long>(stats.commits),
              stats.commits ? double(stats.batches) / stats.commits : 0.0);
  return 0;
}
