// What statekeeper's data costs and how fast namespaces come and go, one
// measurement per run (so that each starts from a fresh process):
//   --memory --keys=N --namespaces=M [--active=A]
//       resident memory taken by N entries (16-byte keys, 100-byte values)
//       spread evenly over M namespaces, in memory, at most A namespace
//       actors running (max-active-namespaces; default: no limit); prints
//       the growth of
//       the process's resident set per entry, in bytes (memory_sk_flat for
//       one namespace, memory_sk_spread for several). scripts/bench.sh
//       compares it with Redis holding the same data.
//   --activation --keys=N          (needs PostgreSQL: scripts/with-postgres.sh)
//       writes a namespace of N entries to PostgreSQL, starts a new
//       service on the same database, and times the first request to the
//       namespace (its activation: every entry loaded) against reading the
//       same rows with one SELECT through libpqxx, three times each, one
//       after the other. Prints keys/s for both (medians).
//   --namespaces --writes=N --active=A
//       one write to each of N new namespaces, at most A namespace actors
//       running (max-active-namespaces), against the same N writes to A
//       namespaces, 64 in flight through the router; prints writes/s for
//       both and the growth of the resident set after the new ones.
// Usage: statekeeper_footprint_bench MODE [options]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include <pqxx/pqxx>

#include <caf/all.hpp>

#include "actors/blocking_client.hpp"
#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

/// The process's resident set, in bytes.
double resident_bytes() {
  long pages = 0;
  long resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * sysconf(_SC_PAGESIZE);
}

sk::namespace_path numbered_ns(const char* prefix, int n) {
  return {"bench", {prefix + std::to_string(n)}};
}

/// Writes entries `first` to `first + keys` to `ns`, 1,000 per request;
/// exits on error.
void fill(sk::blocking_client& client, const sk::namespace_path& ns, int first,
          int keys) {
  constexpr int batch = 1000;
  for (int i = first; i < first + keys; i += batch) {
    std::vector<sk::put_item> items;
    for (int k = i; k < std::min(first + keys, i + batch); ++k) {
      char key[32];
      std::snprintf(key, sizeof key, "key-%012d", k);
      items.push_back({key, bench_value(), {}});
    }
    auto written = client.put_many(ns, items);
    if (!written) {
      std::fprintf(stderr, "write failed: %s\n",
                   client.render(written.error()).c_str());
      std::exit(1);
    }
  }
}

int memory(int keys, int namespaces, int active) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};
  sk::service_options opts;
  opts.max_active_namespaces = static_cast<size_t>(active);
  auto router = *sk::spawn_service(sys, opts);
  sk::blocking_client client{sys, router, std::chrono::seconds{60}};
  auto before = resident_bytes();
  auto per_namespace = keys / namespaces;
  for (int n = 0; n < namespaces; ++n)
    fill(client, numbered_ns("ns-", n), 0, per_namespace);
  auto grown = resident_bytes() - before;
  std::printf("%d keys in %d namespace(s): resident set grew %.1f MiB, %.0f "
              "bytes per key\n",
              keys, namespaces, grown / (1 << 20), grown / keys);
  print_figures({{namespaces == 1 ? "memory_sk_flat" : "memory_sk_spread",
                  grown / keys,
                  {}}});
  sk::stop_service(router);
  return 0;
}

int activation(int keys) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};
  sk::service_options opts;
  opts.postgres = sk::postgres_options{};
  const sk::namespace_path ns{"bench", {"activation"}};
  {
    auto router = *sk::spawn_service(sys, opts);
    sk::blocking_client client{sys, router, std::chrono::seconds{60}};
    fill(client, ns, 0, keys);
    sk::stop_service(router);
  }
  // Each a few times, alternately, as one reading varies a lot: the
  // median of each.
  constexpr int tries = 3;
  std::vector<double> activations;
  std::vector<double> selects;
  pqxx::connection conn;
  conn.prepare("load", "SELECT key, value, version, expires_at"
                       " FROM sk_entries WHERE ns = $1 ORDER BY key");
  for (int t = 0; t < tries; ++t) {
    // A new service: nothing of the namespace in memory.
    auto router = *sk::spawn_service(sys, opts);
    sk::blocking_client client{sys, router, std::chrono::seconds{60}};
    auto start = clock_type::now();
    auto count = client.key_count(ns);
    activations.push_back(seconds_since(start));
    sk::stop_service(router);
    if (!count || *count != static_cast<uint64_t>(keys)) {
      std::fprintf(stderr, "activation: expected %d keys\n", keys);
      return 1;
    }
    // The same rows, one SELECT, into memory.
    start = clock_type::now();
    struct row {
      std::string key;
      std::string value;
      int64_t version;
      bool expires;
    };
    std::vector<row> rows;
    {
      pqxx::read_transaction tx{conn};
      auto result =
          tx.exec_prepared("load", pqxx::binarystring{sk::render(ns)});
      rows.reserve(result.size());
      for (const auto& r : result)
        rows.push_back({pqxx::binarystring{r[0]}.str(),
                        pqxx::binarystring{r[1]}.str(), r[2].as<int64_t>(),
                        !r[3].is_null()});
    }
    selects.push_back(seconds_since(start));
    if (rows.size() != static_cast<size_t>(keys)) {
      std::fprintf(stderr, "SELECT: expected %d rows, got %zu\n", keys,
                   rows.size());
      return 1;
    }
  }
  std::sort(activations.begin(), activations.end());
  std::sort(selects.begin(), selects.end());
  auto activated = activations[tries / 2];
  auto selected = selects[tries / 2];
  std::printf("activation of %d keys: %.1f ms; one SELECT of the same rows: "
              "%.1f ms (%.2fx)\n",
              keys, activated * 1e3, selected * 1e3, activated / selected);
  print_figures({{"activation_sk", keys / activated, {}},
                 {"activation_select", keys / selected, {}}});
  return 0;
}

int many_namespaces(int writes, int active) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};
  sk::service_options opts;
  opts.max_active_namespaces = static_cast<size_t>(active);
  auto router = *sk::spawn_service(sys, opts);
  auto writer = [router](const char* prefix, int modulo) {
    return [router, prefix, modulo](caf::event_based_actor* self, int i,
                                    std::function<void()> next) {
      self->request(router, caf::infinite, sk::put_atom::value,
                    numbered_ns(prefix, i % modulo), key_of(i), bench_value(),
                    sk::ttl_option{})
          .then([next](uint64_t) { next(); }, [next](caf::error&) { next(); });
    };
  };
  constexpr int in_flight = 64;
  // The active namespaces exist first: the baseline is of writing.
  (void)run_drivers(sys, writer("active-", active), active, 1, in_flight);
  auto to_active =
      run_drivers(sys, writer("active-", active), writes, 1, in_flight);
  auto before = resident_bytes();
  auto to_new = run_drivers(sys, writer("new-", writes), writes, 1, in_flight);
  auto grown = resident_bytes() - before;
  std::printf("%d writes: to %d active namespaces %.0f/s; each to a new "
              "namespace %.0f/s (%.2fx); resident set grew %.1f MiB\n",
              writes, active, to_active.rate, to_new.rate,
              to_new.rate / to_active.rate, grown / (1 << 20));
  print_figures({make_figure("namespaces_active", to_active),
                 make_figure("namespaces_new", to_new),
                 {"namespaces_new_memory", grown, {}}});
  sk::stop_service(router);
  return 0;
}

int int_option(int argc, char** argv, const char* name, int fallback) {
  auto len = std::strlen(name);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=')
      return std::max(0, std::atoi(argv[i] + len + 1));
  return fallback;
}

} // namespace

int main(int argc, char** argv) {
  auto mode = argc > 1 ? std::string{argv[1]} : std::string{};
  if (mode == "--memory")
    return memory(int_option(argc, argv, "--keys", 1000000),
                  int_option(argc, argv, "--namespaces", 1),
                  int_option(argc, argv, "--active", 0));
  if (mode == "--activation")
    return activation(int_option(argc, argv, "--keys", 100000));
  if (mode == "--namespaces")
    return many_namespaces(int_option(argc, argv, "--writes", 100000),
                           int_option(argc, argv, "--active", 1000));
  std::fprintf(stderr,
               "usage: %s --memory [--keys=N] [--namespaces=M]\n"
               "       %s --activation [--keys=N]\n"
               "       %s --namespaces [--writes=N] [--active=A]\n",
               argv[0], argv[0], argv[0]);
  return 2;
}
