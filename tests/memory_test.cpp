// Memory follows what is active, not what was ever touched: after rounds
// of namespace activations (each passivated again) and of remote sessions
// (each closed again), the actors the service runs are back at their level
// and its resident memory stops growing. The resident-memory bound is loose
// on purpose (allocator caches), yet far below what the leaks it guards
// against cost: about 2 KB per activation or session that never came back.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "actors/remote/remote.hpp"
#include "tests/support/event_log.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/net_config.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

// Resident set of this process, in bytes.
size_t resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  REQUIRE(f != nullptr);
  unsigned long pages = 0, resident = 0;
  REQUIRE(std::fscanf(f, "%lu %lu", &pages, &resident) == 2);
  std::fclose(f);
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Waits until `sys` runs at most `count` actors; returns how many it runs.
size_t settle(caf::actor_system& sys, size_t count) {
  statekeeper::test::eventually(
      [&] { return sys.registry().running() <= count; },
      std::chrono::seconds{20});
  return sys.registry().running();
}

constexpr size_t mib = 1024 * 1024;

// AddressSanitizer keeps freed memory in quarantine, ThreadSanitizer keeps
// a shadow of it: resident memory says nothing about leaks then, only actor
// counts do.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool rss_is_meaningful = false;
#else
constexpr bool rss_is_meaningful = true;
#endif

} // namespace

TEST_CASE("namespaces activated and passivated by the thousand leave no "
          "memory behind",
          "[memory]") {
  auto opts = test_options();
  opts.max_active_namespaces = 50;
  // CAF 0.17 keeps a request's timeout until it fires, answered or not:
  // with a short one, what is left after a round is what really stays.
  opts.internal_timeout = std::chrono::milliseconds{500};
  service_fixture f{opts};
  auto idle = f.sys.registry().running();
  // Every read activates a namespace; beyond 50 the least recently used
  // are passivated.
  auto round = [&](int r) {
    for (int i = 0; i < 10000; ++i) {
      namespace_path ns{"acme", {"r" + std::to_string(r), std::to_string(i)}};
      REQUIRE(must(f.client.key_count(ns)) == 0);
    }
    auto stats = must(f.client.stats());
    CHECK(stats.active_namespaces <= 51);
    CHECK(settle(f.sys, idle + 51) <= idle + 51);
    std::this_thread::sleep_for(std::chrono::seconds{1});
    return resident_bytes();
  };
  round(0); // allocator caches fill
  auto before = round(1);
  auto after = round(2);
  auto third = round(3);
  INFO("resident after rounds 1-3: " << before / mib << ", " << after / mib
                                     << ", " << third / mib << " MiB");
  // 10,000 leaked activations of ~2 KB would add 20 MiB per round.
  if (rss_is_meaningful)
    CHECK(third < before + 6 * mib);
}

TEST_CASE("remote sessions opened and closed by the hundred leave no "
          "memory behind",
          "[memory][remote]") {
  net_config server_cfg;
  caf::actor_system server{server_cfg};
  auto router = must(spawn_service(server, test_options()));
  remote_options ropts;
  ropts.port = 0;
  auto port = must(publish_service(server, router, ropts));
  net_config client_cfg;
  caf::actor_system client_sys{client_cfg};
  namespace_path ns{"acme", {"sessions"}};
  // One session stays open throughout, so that the connection does.
  blocking_client keeper{client_sys,
                         must(connect_service(client_sys, "127.0.0.1", port))};
  must(keeper.put(ns, "k", "v"));
  auto idle = server.registry().running();
  auto round = [&] {
    for (int i = 0; i < 300; ++i) {
      blocking_client c{client_sys,
                        must(connect_service(client_sys, "127.0.0.1", port))};
      REQUIRE(must(c.get(ns, "k"))->value == "v");
      // A watch makes the session spawn a tap; it must go too.
      event_log log;
      auto sub = must(c.watch(ns, {}, caf::none, log.handler()));
      REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
    }
    // Every session and tap ended: the service runs what it ran before.
    CHECK(settle(server, idle) == idle);
    return resident_bytes();
  };
  round(); // allocator caches fill
  auto before = round();
  auto third = (round(), round());
  INFO("resident (both systems) after rounds: " << before / mib << " -> "
                                                << third / mib << " MiB");
  if (rss_is_meaningful)
    CHECK(third < before + 6 * mib);
  stop_service(router);
}
