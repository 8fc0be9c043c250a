// Durable writes per second with PostgreSQL (fsync on), as ratios against
// a baseline run in the same process on the same server, each scenario
// repeated (median and range):
//  - baseline: one transaction per write through libpqxx from 64 threads,
//    one connection each;
//  - statekeeper, sync durability (acknowledged after commit): 64 writers
//    on one namespace (the commit pipeline of one owner), and 64 namespaces
//    with 4 writes in flight each (group commit across owners).
// Needs a server: scripts/with-postgres.sh build/statekeeper_pg_bench
// Usage: statekeeper_pg_bench [--writes=N] [--rounds=N]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
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

/// The service's persistence counters.
sk::service_stats service_commits(caf::actor_system& sys,
                                  const sk::router_actor& r) {
  sk::service_stats result;
  caf::scoped_actor self{sys};
  self->request(r, std::chrono::seconds{10}, sk::stats_atom::value)
      .receive([&](sk::service_stats& x) { result = x; }, [](caf::error&) {});
  return result;
}

/// What one statekeeper scenario measured.
struct sk_result {
  double rate = 0;
  /// Writes per transaction.
  double per_commit = 0;
};

/// `writers` drivers with `in_flight` puts each; driver d writes to
/// namespace d % namespaces.
sk_result statekeeper_rate(caf::actor_system& sys, int writes, int writers,
                           int in_flight, int namespaces) {
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
  // The first request of a driver numbers it: its namespace and keys.
  struct numbering {
    std::mutex mtx;
    std::unordered_map<caf::actor_id, int> drivers;
  };
  auto numbers = std::make_shared<numbering>();
  auto op = [r, failed, numbers, namespaces](caf::event_based_actor* self,
                                             int i,
                                             std::function<void()> next) {
    int n = 0;
    {
      std::lock_guard<std::mutex> guard{numbers->mtx};
      auto& drivers = numbers->drivers;
      n = drivers.emplace(self->id(), static_cast<int>(drivers.size()))
              .first->second;
    }
    sk::namespace_path ns{"bench", {"ns" + std::to_string(n % namespaces)}};
    self->request(r, caf::infinite, sk::put_atom::value, ns,
                  "w" + std::to_string(n) + "k" + std::to_string(i), value,
                  sk::ttl_option{})
        .then([next](uint64_t) { next(); },
              [next, failed](caf::error&) {
                ++*failed;
                next();
              });
  };
  auto before = service_commits(sys, r);
  auto rate = run_drivers(sys, op, writes, writers, in_flight);
  if (*failed > 0) {
    std::fprintf(stderr, "%d writes failed: figures are not valid\n",
                 failed->load());
    std::exit(1);
  }
  auto after = service_commits(sys, r);
  sk::stop_service(r);
  auto commits = after.commits - before.commits;
  return {rate, commits ? double(writes) / commits : 0.0};
}

} // namespace

int main(int argc, char** argv) {
  int writes = 32000;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--writes=", 9) == 0)
      writes = std::atoi(argv[i] + 9);
    else if (std::strncmp(argv[i], "--rounds=", 9) == 0)
      rounds = std::atoi(argv[i] + 9);
  }
  constexpr int writers = 64;
  {
    pqxx::connection conn;
    prepare_table(conn);
  }
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};

  std::printf("statekeeper PostgreSQL bench: durable writes, 64-byte values, "
              "fsync on, %d rounds (median, range)\n",
              rounds);
  std::vector<double> baseline;
  std::vector<double> one_ns;
  std::vector<double> many_ns;
  std::vector<double> one_ns_batch;
  std::vector<double> many_ns_batch;
  std::vector<double> one_ns_rate;
  std::vector<double> many_ns_rate;
  for (int round = 0; round < rounds; ++round) {
    baseline.push_back(libpqxx_rate(writers, writes / 8));
    auto one = statekeeper_rate(sys, writes, writers, 1, 1);
    auto many = statekeeper_rate(sys, writes, writers, 4, writers);
    one_ns.push_back(one.rate / baseline.back());
    many_ns.push_back(many.rate / baseline.back());
    one_ns_rate.push_back(one.rate);
    many_ns_rate.push_back(many.rate);
    one_ns_batch.push_back(one.per_commit);
    many_ns_batch.push_back(many.per_commit);
    std::printf("  round %d: baseline %.0f writes/s, one namespace %.0f, "
                "64 namespaces %.0f\n",
                round + 1, baseline.back(), one.rate, many.rate);
  }
  auto row = [](const char* what, std::vector<double> xs, const char* unit) {
    std::sort(xs.begin(), xs.end());
    std::printf("  %-52s %9.2f%s (%.2f-%.2f)\n", what, xs[xs.size() / 2], unit,
                xs.front(), xs.back());
  };
  row("libpqxx, 1 row/txn, 64 threads (baseline, writes/s)", baseline, "");
  row("statekeeper sync, 1 namespace, 64 writers", one_ns, "x");
  row("  writes per transaction", one_ns_batch, "");
  row("statekeeper sync, 64 namespaces, 256 in flight", many_ns, "x");
  row("  writes per transaction", many_ns_batch, "");
  print_figures({{"sync_libpqxx_64", summarize(baseline).median},
                 {"sync_1ns_64", summarize(one_ns_rate).median},
                 {"sync_64ns_256", summarize(many_ns_rate).median}});
  return 0;
}
