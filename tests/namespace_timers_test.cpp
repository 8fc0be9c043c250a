// A namespace owner's timers under CAF's deterministic test scheduler: which
// delayed messages an owner has pending, checked without waiting for real
// time. An owner without TTLs or watchers has none; one sweep message waits
// for the earliest expiry; progress runs only while there are watchers.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "actors/namespace_actor.hpp"
#include "backends/memory/memory_storage.hpp"
#include "messages/register.hpp"

using namespace statekeeper;
using namespace std::chrono_literals;

namespace {

struct deterministic_config : caf::actor_system_config {
  deterministic_config() {
    register_types(*this);
    set("scheduler.policy", caf::atom("testing"));
  }
};

const namespace_path ns{"acme", {"timers"}};

struct owner_fixture {
  deterministic_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  // Stands in for the router: the owner reports its usage to it. (Spawned with an argument: CAF 0.17 dereferences a null argument
  // tuple for functions that take none, which UBSan reports.)
  caf::actor router = sys.spawn(
      [](caf::event_based_actor*, int) {
        return caf::behavior{[](int) {},
                             [](counted_atom, uint64_t, int64_t) {}};
      },
      0);
  namespace_actor owner;

  owner_fixture() {
    service_options opts;
    owner =
        sys.spawn(namespace_actor_impl, router.address(),
                  std::string{"acme/timers"}, std::make_shared<memory_store>(),
                  persistence_actor{}, async_backlog_actor{}, opts, nullptr);
    sched.run();
  }

  ~owner_fixture() {
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Delayed messages and request timeouts waiting in the clock.
  size_t pending() { return sched.clock().schedule().size(); }

  void put(const std::string& key, ttl_option ttl) {
    caf::anon_send(owner, put_atom::value, ns, key, std::string{"v"}, ttl);
    sched.run();
  }
};

} // namespace

TEST_CASE("an owner without TTLs has no timer", "[namespace_timers]") {
  owner_fixture f;
  CHECK(f.pending() == 0);
  f.put("a", caf::none);
  f.put("b", caf::none);
  CHECK(f.pending() == 0);
}

TEST_CASE("one sweep waits for the earliest expiry, and an earlier one "
          "supersedes it",
          "[namespace_timers]") {
  owner_fixture f;
  f.put("late", caf::timespan{1h});
  CHECK(f.pending() == 1);
  // A later expiry is covered by the sweep already on its way.
  f.put("later", caf::timespan{2h});
  CHECK(f.pending() == 1);
  // An earlier one needs a sweep of its own; the first is superseded.
  f.put("soon", caf::timespan{1min});
  CHECK(f.pending() == 2);
  // Both fire. Nothing has expired yet in real time, so the current one
  // sends the sweep for the earliest expiry again; the superseded one does
  // nothing (were it to sweep, it would schedule one more).
  CHECK(f.sched.trigger_timeouts() == 2);
  f.sched.run();
  CHECK(f.pending() == 1);
  // Without TTLs left, the sweep that fires schedules nothing.
  caf::anon_send(f.owner, clear_atom::value, ns);
  f.sched.run();
  CHECK(f.sched.trigger_timeouts() == 1);
  f.sched.run();
  CHECK(f.pending() == 0);
}

TEST_CASE("progress runs while there are watchers, and stops after the last",
          "[namespace_timers]") {
  owner_fixture f;
  auto watcher = f.sys.spawn(
      [](watcher_actor::pointer, int) -> watcher_actor::behavior_type {
        return {[](event_atom, uint64_t, const watch_batch&) {}};
      },
      0);
  caf::anon_send(f.owner, watch_atom::value, ns, std::vector<std::string>{},
                 caf::optional<watch_cursor>{}, watcher);
  f.sched.run();
  // Whatever fires (progress, the acknowledgement timeouts of batches that
  // were acknowledged long ago), progress comes back while a watch is on.
  for (int round = 0; round < 3; ++round) {
    REQUIRE(f.pending() > 0);
    f.sched.trigger_timeouts();
    f.sched.run();
  }
  CHECK(f.pending() > 0);
  // The watcher stops: its watch goes, and with it the progress timer.
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  f.sched.run();
  f.sched.trigger_timeouts();
  f.sched.run();
  CHECK(f.pending() == 0);
}
