// Measures statekeeper in-process and prints figures as ratios against
// baselines run in the same process:
//  1. put/get through the router, and to owners reached directly (1
//     namespace with 64 requests in flight, 1,000 namespaces with 256: 4
//     client actors with 64 each) vs. one plain CAF actor owning an
//     unordered_map with as many requests in flight (the floor of any actor
//     design) and vs. a std::mutex around an unordered_map hammered by 2
//     threads (the lock-based design).
//  2. the cost of one TTL sweep of 1,000 expired entries in a namespace of
//     1,000 vs. 1,000,000 live keys (should be ~1: cost follows expired
//     entries, not keys).
// Usage: statekeeper_bench [--ops=N]   (default 200000 operations per run)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/keyspace.hpp"
#include "actors/service.hpp"
#include "backends/memory/memory_storage.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

constexpr int in_flight = 64;

// How a run spreads its load: over `namespaces`, from `clients` client
// actors with 64 requests in flight each.
struct shape {
  int namespaces;
  int clients;
};

sk::namespace_path bench_ns(int i, int namespaces) {
  return {"bench", {"ns-" + std::to_string(i % namespaces)}};
}

// -- the three designs
// ----------------------------------------------------------

double router_rate(caf::actor_system& sys, shape load, int ops) {
  auto router = *sk::spawn_service(sys);
  auto op = [router, n = load.namespaces](caf::event_based_actor* self, int i,
                                          std::function<void()> next) {
    put_or_get(self, router, bench_ns(i, n), i, std::move(next));
  };
  // Every namespace active first: the figure is of serving, not starting.
  (void)run_drivers(sys, op, load.namespaces * 2, 1, in_flight);
  auto rate = run_drivers(sys, op, ops, load.clients, in_flight);
  sk::stop_service(router);
  return rate;
}

// Owners reached directly, as a caller with its owners cached does
// (actors/owner_cache.hpp): render the namespace, look its owner up, send.
double direct_rate(caf::actor_system& sys, shape load, int ops) {
  auto namespaces = load.namespaces;
  auto router = *sk::spawn_service(sys);
  std::unordered_map<std::string, sk::namespace_operations> owners;
  {
    caf::scoped_actor self{sys};
    auto directory = caf::actor_cast<sk::owner_directory>(router);
    for (int n = 0; n < namespaces; ++n) {
      auto ns = bench_ns(n, namespaces);
      self->request(directory, caf::infinite, sk::resolve_atom::value, ns)
          .receive(
              [&](sk::namespace_operations& owner) {
                owners.emplace(sk::render(ns), owner);
              },
              [](caf::error&) {});
    }
  }
  // Read-only from here: the drivers share it.
  auto cache = std::make_shared<const decltype(owners)>(std::move(owners));
  auto op = [cache, namespaces](caf::event_based_actor* self, int i,
                                std::function<void()> next) {
    auto ns = bench_ns(i, namespaces);
    put_or_get(self, cache->at(sk::render(ns)), ns, i, std::move(next));
  };
  auto rate = run_drivers(sys, op, ops, load.clients, in_flight);
  sk::stop_service(router);
  return rate;
}

double actor_map_rate(caf::actor_system& sys, int clients, int ops) {
  auto owner = sys.spawn(map_owner);
  auto op = [owner](caf::event_based_actor* self, int i,
                    std::function<void()> next) {
    map_put_or_get(self, owner, i, std::move(next));
  };
  auto rate = run_drivers(sys, op, ops, clients, in_flight);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  return rate;
}

double mutex_map_rate(int ops) {
  constexpr int clients = 2;
  std::mutex mtx;
  std::unordered_map<std::string, std::string> map;
  auto work = [&](int offset) {
    for (int i = offset; i < ops; i += clients) {
      auto key = key_of(i);
      std::lock_guard<std::mutex> guard{mtx};
      if (i % 2 == 0)
        map[key] = std::string(64, 'v');
      else
        (void)map.count(key);
    }
  };
  auto start = clock_type::now();
  std::thread a{work, 0};
  std::thread b{work, 1};
  a.join();
  b.join();
  return ops / seconds_since(start);
}

// -- sweep cost
// -------------------------------------------------------------------

// Applies what the last operation staged, as a namespace actor does.
void apply_staged(sk::keyspace& ks) {
  if (auto staged = ks.take_staged())
    if (auto err = ks.apply(*staged))
      std::fprintf(stderr, "apply failed\n");
}

double sweep_seconds(int live_keys) {
  auto store = std::make_shared<sk::memory_store>();
  sk::service_limits lim;
  lim.max_batch = 1 << 30;
  sk::keyspace ks{store, lim};
  auto now = caf::make_timestamp();
  std::vector<sk::put_item> items;
  for (int i = 0; i < live_keys; ++i) {
    items.push_back({"live-" + std::to_string(i), "v", {}});
    if (items.size() == 10000) {
      (void)ks.put_many(std::move(items), now);
      apply_staged(ks);
      items.clear();
    }
  }
  for (int i = 0; i < 1000; ++i)
    items.push_back(
        {"ttl-" + std::to_string(i), "v", std::chrono::milliseconds{1}});
  (void)ks.put_many(std::move(items), now);
  apply_staged(ks);
  auto later = now + std::chrono::seconds{1};
  auto start = clock_type::now();
  auto swept = ks.sweep(later, 1000);
  apply_staged(ks);
  auto elapsed = seconds_since(start);
  if (!swept || *swept != 1000)
    std::fprintf(stderr, "sweep removed an unexpected number of entries\n");
  return elapsed;
}

} // namespace

int main(int argc, char** argv) {
  int ops = 200000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--ops=", 6) == 0)
      ops = std::atoi(argv[i] + 6);
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};

  std::printf("statekeeper bench: %d ops per run, 50%% put / 50%% get, "
              "64-byte values, client actors with %d in flight each\n",
              ops, in_flight);
  const shape one{1, 1};
  const shape many{1000, 4};
  auto mutex_map = mutex_map_rate(ops);
  auto actor_64 = actor_map_rate(sys, one.clients, ops);
  auto actor_256 = actor_map_rate(sys, many.clients, ops);
  auto router_one = router_rate(sys, one, ops);
  auto router_many = router_rate(sys, many, ops);
  auto direct_one = direct_rate(sys, one, ops);
  auto direct_many = direct_rate(sys, many, ops);
  std::printf("  mutex + unordered_map, 2 threads        %10.0f ops/s\n",
              mutex_map);
  auto row = [&](const char* design, double rate, double actor) {
    std::printf("  %-39s %10.0f ops/s  %.2fx mutex, %.2fx plain actor\n",
                design, rate, rate / mutex_map, rate / actor);
  };
  row("plain actor, 64 in flight", actor_64, actor_64);
  row("plain actor, 256 in flight", actor_256, actor_256);
  row("router -> 1 namespace, 64 in flight", router_one, actor_64);
  row("router -> 1,000 namespaces, 256", router_many, actor_256);
  row("direct -> 1 namespace, 64 in flight", direct_one, actor_64);
  row("direct -> 1,000 namespaces, 256", direct_many, actor_256);

  (void)sweep_seconds(1000); // warm-up: allocator and caches
  auto small = sweep_seconds(1000);
  auto large = sweep_seconds(1000000);
  std::printf("  sweep of 1,000 expired entries: %.2f ms among 1k keys, "
              "%.2f ms among 1M keys (ratio %.2f)\n",
              small * 1e3, large * 1e3, large / small);
  print_figures({{"inprocess_actor_64", actor_64},
                 {"inprocess_actor_256", actor_256},
                 {"inprocess_router_1ns_64", router_one},
                 {"inprocess_router_1000ns_256", router_many},
                 {"inprocess_direct_1ns_64", direct_one},
                 {"inprocess_direct_1000ns_256", direct_many}});
  return 0;
}
