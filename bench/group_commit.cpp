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
#include <condition_variable>
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


void prepare_table(pqxx::connection& conn) {
  pqxx::work tx{conn};
  tx.exec("DROP TABLE IF EXISTS bench_entries");
  tx.exec("CREATE TABLE bench_entries (ns bytea, key bytea, value bytea,"
          " version bigint, expires_at bigint, PRIMARY KEY (ns, key))");
  tx.commit();
}

/// Holds writers until every one has connected: the clock starts then.
struct start_line {
  std::mutex mtx;
  std::condition_variable all_ready;
  int waiting;
  clock_type::time_point start;

  void arrive() {
    std::unique_lock<std::mutex> guard{mtx};
    if (--waiting == 0) {
      start = clock_type::now();
      all_ready.notify_all();
    } else {
      all_ready.wait(guard, [this] { return waiting == 0; });
    }
  }
};

// One writer: connects, waits for the others, then makes `writes` upserts,
// each in its own transaction; the latency of each goes to `latencies`.
void write_one_by_one(int writer, int writes, start_line* line,
                      std::vector<double>* latencies) {
  pqxx::connection conn;
  conn.prepare("upsert",
               "INSERT INTO bench_entries VALUES ($1, $2, $3, $4, NULL)"
               " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,"
               " version = EXCLUDED.version");
  line->arrive();
  pqxx::binarystring ns{"bench/w" + std::to_string(writer)};
  pqxx::binarystring val{bench_value()};
  latencies->reserve(writes);
  for (int i = 0; i < writes; ++i) {
    auto sent = clock_type::now();
    pqxx::work tx{conn};
    tx.exec_prepared("upsert", ns, pqxx::binarystring{key_of(i)}, val, i + 1);
    tx.commit();
    latencies->push_back(micros_since(sent));
  }
}

measured libpqxx_rate(int writers, int writes) {
  std::vector<std::thread> threads;
  std::vector<std::vector<double>> latencies(writers);
  start_line line;
  line.waiting = writers;
  auto each = std::max(1, writes / writers);
  for (int w = 0; w < writers; ++w)
    threads.emplace_back(write_one_by_one, w, each, &line, &latencies[w]);
  for (auto& t : threads)
    t.join();
  measured result;
  result.rate = double(each) * writers / seconds_since(line.start);
  result.latency = summarize(latencies);
  return result;
}

/// Key `i` of writer `n`: 16 bytes, no two writers alike.
std::string writer_key(int n, int i) {
  char key[32];
  std::snprintf(key, sizeof key, "w%03d-%011d", n % 1000, i);
  return key;
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
  measured rate;
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
                  writer_key(n, i), bench_value(),
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

  std::printf("statekeeper PostgreSQL bench: durable writes, 100-byte values, "
              "fsync on, %d rounds (median, range)\n",
              rounds);
  std::vector<double> baseline;
  std::vector<double> one_ns;
  std::vector<double> many_ns;
  std::vector<double> one_ns_batch;
  std::vector<double> many_ns_batch;
  std::vector<double> one_ns_rate;
  std::vector<double> many_ns_rate;
  // The last round's latencies go with the median rates.
  measured base;
  sk_result one;
  sk_result many;
  for (int round = 0; round < rounds; ++round) {
    // Fewer: one row per transaction is slow. At least 16 per writer.
    base = libpqxx_rate(writers, std::max(writes / 8, writers * 16));
    baseline.push_back(base.rate);
    one = statekeeper_rate(sys, writes, writers, 1, 1);
    many = statekeeper_rate(sys, writes, writers, 4, writers);
    one_ns.push_back(one.rate.rate / baseline.back());
    many_ns.push_back(many.rate.rate / baseline.back());
    one_ns_rate.push_back(one.rate.rate);
    many_ns_rate.push_back(many.rate.rate);
    one_ns_batch.push_back(one.per_commit);
    many_ns_batch.push_back(many.per_commit);
    std::printf("  round %d: baseline %.0f writes/s, one namespace %.0f, "
                "64 namespaces %.0f\n",
                round + 1, baseline.back(), one.rate.rate, many.rate.rate);
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
  print_figures(
      {{"sync_libpqxx_64", summarize(baseline).median, base.latency},
       {"sync_1ns_64", summarize(one_ns_rate).median, one.rate.latency},
       {"sync_64ns_256", summarize(many_ns_rate).median, many.rate.latency}});
  return 0;
}
