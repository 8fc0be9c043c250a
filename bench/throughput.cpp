// Measures statekeeper in-process and prints figures as ratios against
// baselines run in the same process:
//  1. put/get through the router, and to owners reached directly (1
//     namespace with 64 requests in flight, 1,000 namespaces with 256: 4
//     client actors with 64 each) vs.
//     - one plain CAF actor owning an unordered_map with as many requests
//       in flight (the floor of any actor design);
//     - a std::mutex around an unordered_map per namespace, hammered by 2
//       threads (the lock-based design);
//     - a thread per operation bridging to a single-threaded store per
//       namespace, with as many in flight (the adapter design: each call
//       runs on a thread of its own, which takes the store's lock).
//  2. one operation at a time from a thread that is not an actor: the
//     blocking client vs. a scoped_actor asking the plain actor.
//  3. the cost of one TTL sweep of 1,000 expired entries in a namespace of
//     1,000 vs. 1,000,000 live keys (should be ~1: cost follows expired
//     entries, not keys).
// Usage: statekeeper_bench [--ops=N]   (default 200000 operations per run)
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/blocking_client.hpp"
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

// The namespace of request `i`: a put and the get after it go to the same
// one (as they share a key: key_of_request).
sk::namespace_path bench_ns(int i, int namespaces) {
  return {"bench", {"ns-" + std::to_string(i / 2 % namespaces)}};
}

// -- the three designs
// ----------------------------------------------------------

measured router_rate(caf::actor_system& sys, shape load, int ops) {
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
measured direct_rate(caf::actor_system& sys, shape load, int ops) {
  auto namespaces = load.namespaces;
  auto router = *sk::spawn_service(sys);
  std::unordered_map<std::string, sk::namespace_operations> owners;
  for (int n = 0; n < namespaces; ++n) {
    auto ns = bench_ns(2 * n, namespaces);
    owners.emplace(sk::render(ns), resolve_owner(sys, router, ns));
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

measured actor_map_rate(caf::actor_system& sys, int clients, int ops) {
  auto owner = sys.spawn(map_owner);
  auto op = [owner](caf::event_based_actor* self, int i,
                    std::function<void()> next) {
    map_put_or_get(self, owner, i, std::move(next));
  };
  (void)run_drivers(sys, op, ops / 10, clients, in_flight); // warm-up
  auto rate = run_drivers(sys, op, ops, clients, in_flight);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  return rate;
}

// A store that must not be used by two threads at once, one per namespace,
// each behind a lock.
struct locked_store {
  std::mutex mtx;
  std::unordered_map<std::string, std::string> map;

  // Request `i`: a put if even, else a get (a copy of the value, as a
  // reply would carry).
  void apply(int i) {
    auto key = key_of_request(i);
    std::lock_guard<std::mutex> guard{mtx};
    if (i % 2 == 0) {
      map[key] = bench_value();
    } else {
      auto found = map.find(key);
      std::string value = found != map.end() ? found->second : std::string{};
      (void)value;
    }
  }
};

measured mutex_map_rate(int namespaces, int ops) {
  constexpr int clients = 2;
  std::vector<locked_store> stores(namespaces);
  std::vector<std::vector<double>> latencies(clients);
  auto work = [&](int offset) {
    // Every 64th operation timed: timing each would double its cost.
    latencies[offset].reserve(ops / clients / 64 + 1);
    for (int i = offset; i < ops; i += clients) {
      if (i % 128 >= clients) {
        stores[i / 2 % namespaces].apply(i);
        continue;
      }
      auto sent = clock_type::now();
      stores[i / 2 % namespaces].apply(i);
      latencies[offset].push_back(micros_since(sent));
    }
  };
  auto start = clock_type::now();
  std::thread a{work, 0};
  std::thread b{work, 1};
  a.join();
  b.join();
  measured result;
  result.rate = ops / seconds_since(start);
  result.latency = summarize(latencies);
  return result;
}

// The adapter design: every operation runs on a new thread, which takes its
// namespace's store lock; the caller keeps `in_flight` such threads going.
measured thread_bridge_rate(shape load, int in_flight, int ops) {
  std::vector<locked_store> stores(load.namespaces);
  std::mutex mtx;
  std::condition_variable finished;
  int running = 0;
  std::vector<double> latencies;
  latencies.reserve(ops);
  auto start = clock_type::now();
  for (int i = 0; i < ops; ++i) {
    {
      std::unique_lock<std::mutex> guard{mtx};
      finished.wait(guard, [&] { return running < in_flight; });
      ++running;
    }
    auto sent = clock_type::now();
    std::thread{[&, i, sent] {
      stores[i / 2 % load.namespaces].apply(i);
      std::lock_guard<std::mutex> guard{mtx};
      latencies.push_back(micros_since(sent));
      --running;
      finished.notify_one();
    }}.detach();
  }
  std::unique_lock<std::mutex> guard{mtx};
  finished.wait(guard, [&] { return running == 0; });
  measured result;
  result.rate = ops / seconds_since(start);
  result.latency = summarize(std::move(latencies));
  return result;
}

// -- one at a time, from a thread that is not an actor
// ----------------------------------------------------

measured blocking_client_rate(caf::actor_system& sys, int ops) {
  auto router = *sk::spawn_service(sys);
  sk::blocking_client client{sys, router};
  const sk::namespace_path ns{"bench", {"blocking"}};
  auto op = [&](int i) {
    if (i % 2 == 0)
      (void)client.put(ns, key_of_request(i), bench_value());
    else
      (void)client.get(ns, key_of_request(i));
  };
  one_at_a_time(ops / 10,
                op); // warm-up: the namespace active, its owner cached
  auto result = one_at_a_time(ops, op);
  sk::stop_service(router);
  return result;
}

measured scoped_actor_rate(caf::actor_system& sys, int ops) {
  auto owner = sys.spawn(map_owner);
  caf::scoped_actor self{sys};
  auto op = [&](int i) {
    if (i % 2 == 0)
      self->request(owner, caf::infinite, map_put::value, key_of_request(i),
                    bench_value())
          .receive([](bool) {}, [](caf::error&) {});
    else
      self->request(owner, caf::infinite, map_get::value, key_of_request(i))
          .receive([](const std::string&) {}, [](caf::error&) {});
  };
  one_at_a_time(ops / 10, op); // warm-up, as for the blocking client
  auto result = one_at_a_time(ops, op);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  return result;
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
              "16-byte keys, 100-byte values, client actors with %d in "
              "flight each\n",
              ops, in_flight);
  const shape one{1, 1};
  const shape many{1000, 4};
  // A thread per operation costs tens of microseconds: fewer operations.
  const int bridge_ops = std::max(1000, ops / 10);
  const int blocking_ops = std::max(1000, ops / 10);
  auto mutex_one = mutex_map_rate(one.namespaces, ops);
  auto mutex_many = mutex_map_rate(many.namespaces, ops);
  auto bridge_one = thread_bridge_rate(one, in_flight, bridge_ops);
  auto bridge_many =
      thread_bridge_rate(many, in_flight * many.clients, bridge_ops);
  auto actor_64 = actor_map_rate(sys, one.clients, ops);
  auto actor_256 = actor_map_rate(sys, many.clients, ops);
  auto router_one = router_rate(sys, one, ops);
  auto router_many = router_rate(sys, many, ops);
  auto direct_one = direct_rate(sys, one, ops);
  auto direct_many = direct_rate(sys, many, ops);
  auto blocking = blocking_client_rate(sys, blocking_ops);
  auto scoped = scoped_actor_rate(sys, blocking_ops);
  auto row = [&](const char* design, const measured& m, const measured& actor) {
    std::printf("  %-42s %10.0f ops/s  %.2fx plain actor  p50 %7.1f us  "
                "p99 %7.1f us\n",
                design, m.rate, m.rate / actor.rate, m.latency.median,
                m.latency.p99);
  };
  row("plain actor, 64 in flight", actor_64, actor_64);
  row("plain actor, 256 in flight", actor_256, actor_256);
  row("mutex + unordered_map, 2 threads", mutex_one, actor_64);
  row("mutex, 1,000 maps, 2 threads", mutex_many, actor_256);
  row("thread per operation, 64 in flight", bridge_one, actor_64);
  row("thread per operation, 1,000 stores, 256", bridge_many, actor_256);
  row("router -> 1 namespace, 64 in flight", router_one, actor_64);
  row("router -> 1,000 namespaces, 256", router_many, actor_256);
  row("direct -> 1 namespace, 64 in flight", direct_one, actor_64);
  row("direct -> 1,000 namespaces, 256", direct_many, actor_256);
  row("scoped_actor -> plain actor, 1 at a time", scoped, scoped);
  row("blocking client, 1 at a time", blocking, scoped);

  (void)sweep_seconds(1000); // warm-up: allocator and caches
  auto small = sweep_seconds(1000);
  auto large = sweep_seconds(1000000);
  std::printf("  sweep of 1,000 expired entries: %.2f ms among 1k keys, "
              "%.2f ms among 1M keys (ratio %.2f)\n",
              small * 1e3, large * 1e3, large / small);
  print_figures({make_figure("inprocess_actor_64", actor_64),
                 make_figure("inprocess_actor_256", actor_256),
                 make_figure("inprocess_mutex_1ns", mutex_one),
                 make_figure("inprocess_mutex_1000ns", mutex_many),
                 make_figure("inprocess_bridge_1ns_64", bridge_one),
                 make_figure("inprocess_bridge_1000ns_256", bridge_many),
                 make_figure("inprocess_router_1ns_64", router_one),
                 make_figure("inprocess_router_1000ns_256", router_many),
                 make_figure("inprocess_direct_1ns_64", direct_one),
                 make_figure("inprocess_direct_1000ns_256", direct_many),
                 make_figure("inprocess_blocking_client", blocking),
                 make_figure("inprocess_scoped_actor", scoped)});
  return 0;
}
