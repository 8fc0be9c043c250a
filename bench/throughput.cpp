// Measures statekeeper in-process and prints figures as ratios against
// baselines run in the same process:
//  1. put/get through the router, and to owners reached directly (1
//     namespace and 100 namespaces, 64 requests in flight per client
//     actor) vs. one plain CAF actor owning an
//     unordered_map (the floor of any actor design) and vs. a std::mutex
//     around an unordered_map hammered by 2 threads (the lock-based design).
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

constexpr int clients = 2;
constexpr int in_flight = 64;

std::string key_of(int i) {
  return "key-" + std::to_string(i % 10000);
}

// Request `i`: a put if even, else a get, to `target` (the router or an
// owner).
template <class Target>
void put_or_get(caf::event_based_actor* self, const Target& target,
                const sk::namespace_path& ns, int i,
                std::function<void()> next) {
  if (i % 2 == 0)
    self->request(target, caf::infinite, sk::put_atom::value, ns, key_of(i),
                  std::string(64, 'v'), sk::ttl_option{})
        .then([next](uint64_t) { next(); });
  else
    self->request(target, caf::infinite, sk::get_atom::value, ns, key_of(i))
        .then([next](caf::optional<sk::entry>&) { next(); });
}

// -- the three designs
// ----------------------------------------------------------

double router_rate(caf::actor_system& sys, int namespaces, int ops) {
  auto router = *sk::spawn_service(sys);
  auto op = [router, namespaces](caf::event_based_actor* self, int i,
                                 std::function<void()> next) {
    sk::namespace_path ns{"bench", {"ns-" + std::to_string(i % namespaces)}};
    put_or_get(self, router, ns, i, std::move(next));
  };
  auto rate = run_drivers(sys, op, ops, clients, in_flight);
  sk::stop_service(router);
  return rate;
}

// Owners reached directly, as a caller with its owners cached does
// (actors/owner_cache.hpp): render the namespace, look its owner up, send.
double direct_rate(caf::actor_system& sys, int namespaces, int ops) {
  auto router = *sk::spawn_service(sys);
  std::unordered_map<std::string, sk::namespace_operations> owners;
  {
    caf::scoped_actor self{sys};
    auto directory = caf::actor_cast<sk::owner_directory>(router);
    for (int n = 0; n < namespaces; ++n) {
      sk::namespace_path ns{"bench", {"ns-" + std::to_string(n)}};
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
    sk::namespace_path ns{"bench", {"ns-" + std::to_string(i % namespaces)}};
    put_or_get(self, cache->at(sk::render(ns)), ns, i, std::move(next));
  };
  auto rate = run_drivers(sys, op, ops, clients, in_flight);
  sk::stop_service(router);
  return rate;
}

using map_put = caf::atom_constant<caf::atom("map_put")>;
using map_get = caf::atom_constant<caf::atom("map_get")>;

caf::behavior map_owner(
    caf::stateful_actor<std::unordered_map<std::string, std::string>>* self) {
  return {
      [self](map_put, std::string& key, std::string& value) {
        self->state[key] = std::move(value);
        return true;
      },
      [self](map_get, const std::string& key) {
        auto i = self->state.find(key);
        return i != self->state.end();
      },
  };
}

double actor_map_rate(caf::actor_system& sys, int ops) {
  auto owner = sys.spawn(map_owner);
  auto op = [owner](caf::event_based_actor* self, int i,
                    std::function<void()> next) {
    if (i % 2 == 0)
      self->request(owner, caf::infinite, map_put::value, key_of(i),
                    std::string(64, 'v'))
          .then([next](bool) { next(); });
    else
      self->request(owner, caf::infinite, map_get::value, key_of(i))
          .then([next](bool) { next(); });
  };
  auto rate = run_drivers(sys, op, ops, clients, in_flight);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  return rate;
}

double mutex_map_rate(int ops) {
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
              "64-byte values, %d client actors x %d in flight\n",
              ops, clients, in_flight);
  auto mutex_map = mutex_map_rate(ops);
  auto actor_map = actor_map_rate(sys, ops);
  auto router_one = router_rate(sys, 1, ops);
  auto router_many = router_rate(sys, 100, ops);
  auto direct_one = direct_rate(sys, 1, ops);
  auto direct_many = direct_rate(sys, 100, ops);
  std::printf("  mutex + unordered_map, 2 threads   %10.0f ops/s  (baseline)\n",
              mutex_map);
  std::printf(
      "  one actor owning an unordered_map  %10.0f ops/s  %.2fx mutex\n",
      actor_map, actor_map / mutex_map);
  auto statekeeper_row = [&](const char* design, double rate) {
    std::printf("  %-34s %10.0f ops/s  %.2fx mutex, %.2fx plain actor\n",
                design, rate, rate / mutex_map, rate / actor_map);
  };
  statekeeper_row("router -> 1 namespace", router_one);
  statekeeper_row("router -> 100 namespaces", router_many);
  statekeeper_row("direct -> 1 namespace", direct_one);
  statekeeper_row("direct -> 100 namespaces", direct_many);

  (void)sweep_seconds(1000); // warm-up: allocator and caches
  auto small = sweep_seconds(1000);
  auto large = sweep_seconds(1000000);
  std::printf("  sweep of 1,000 expired entries: %.2f ms among 1k keys, "
              "%.2f ms among 1M keys (ratio %.2f)\n",
              small * 1e3, large * 1e3, large / small);
  return 0;
}
