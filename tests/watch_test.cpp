// Watches through the public API: snapshot, marker and live changes with
// nothing lost or repeated under concurrent writers; resuming from a
// revision; cursor_expired; prefixes; expire vs erase; slow and dead
// watchers; progress notifications.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <thread>

#include <caf/typed_event_based_actor.hpp>

#include "tests/support/event_log.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"watched"}};

std::vector<watch_event_kind> kinds(const std::vector<watch_event>& xs) {
  std::vector<watch_event_kind> result;
  for (auto& x : xs)
    result.push_back(x.kind);
  return result;
}

std::vector<uint64_t> revisions(const std::vector<watch_event>& xs) {
  std::vector<uint64_t> result;
  for (auto& x : xs)
    result.push_back(x.revision);
  return result;
}

} // namespace

TEST_CASE("a watch sees the snapshot, a marker, then every change once",
          "[watch]") {
  service_fixture f;
  for (int i = 0; i < 50; ++i)
    must(f.client.put(ns, "k" + std::to_string(i), "initial"));
  // Writers run while the watch starts.
  std::atomic<bool> go{false};
  auto writer = [&](int id) {
    blocking_client c{f.sys, f.router};
    while (!go)
      std::this_thread::yield();
    for (int i = 0; i < 300; ++i) {
      auto key = "k" + std::to_string((i * 7 + id) % 60);
      if (i % 10 == 9)
        (void)c.erase(ns, key);
      else
        (void)c.put(ns, key,
                    "w" + std::to_string(id) + "-" + std::to_string(i));
    }
  };
  std::thread w1{writer, 1};
  std::thread w2{writer, 2};
  go = true;
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  w1.join();
  w2.join();
  // A transaction without operations answers the current revision.
  auto final_revision = must(f.client.txn(ns, {}, {}, {})).revision;
  REQUIRE(log.wait_revision(final_revision));
  auto events = log.events();
  // Snapshot puts, one marker, then live changes.
  size_t marker = 0;
  while (marker < events.size() &&
         events[marker].kind != watch_event_kind::snapshot_done)
    ++marker;
  REQUIRE(marker < events.size());
  auto snapshot_revision = events[marker].revision;
  std::map<std::string, std::pair<uint64_t, std::string>> state;
  for (size_t i = 0; i < marker; ++i) {
    REQUIRE(events[i].kind == watch_event_kind::put);
    CHECK(events[i].version <= snapshot_revision);
    CHECK(state
              .emplace(events[i].key,
                       std::make_pair(events[i].version, events[i].value))
              .second);
  }
  // Every revision after the snapshot exactly once, in order.
  uint64_t expected = snapshot_revision + 1;
  for (size_t i = marker + 1; i < events.size(); ++i) {
    auto& ev = events[i];
    REQUIRE(ev.revision == expected);
    ++expected;
    if (ev.kind == watch_event_kind::put)
      state[ev.key] = {ev.version, ev.value};
    else
      state.erase(ev.key);
  }
  CHECK(expected == final_revision + 1);
  // Snapshot plus changes rebuild exactly what the namespace holds.
  auto page = must(f.client.scan(ns, "", "", 100));
  REQUIRE(page.entries.size() == state.size());
  for (auto& e : page.entries) {
    INFO(e.key);
    REQUIRE(state.count(e.key) == 1);
    CHECK(state[e.key].first == e.version);
    CHECK(state[e.key].second == e.value);
  }
}

namespace {

// A watcher actor that hands its batches to `handler`.
watcher_actor::behavior_type relay_watcher(watcher_actor::pointer,
                                           watch_handler handler) {
  return {[handler](event_atom, uint64_t, const watch_batch& events) {
    handler(events);
  }};
}

// The put revisions of `events` after the snapshot (if any), in order.
std::vector<uint64_t> live_puts(const std::vector<watch_event>& events) {
  std::vector<uint64_t> result;
  bool live = true;
  for (auto& ev : events) {
    if (ev.kind == watch_event_kind::put && ev.revision == 0)
      live = false; // a snapshot entry
    else if (ev.kind == watch_event_kind::snapshot_done)
      live = true;
    else if (ev.kind == watch_event_kind::put && live)
      result.push_back(ev.revision);
  }
  return result;
}

} // namespace

TEST_CASE("a watch opened between writes the owner has not sent out yet "
          "gets each change once",
          "[watch]") {
  service_fixture f;
  caf::scoped_actor self{f.sys};
  event_log first;
  event_log second;
  auto watch = [&](event_log& log) {
    auto who = f.sys.spawn(relay_watcher, log.handler());
    self->send(f.router, watch_atom::value, ns, std::vector<std::string>{},
               caf::optional<watch_cursor>{}, who);
    return who;
  };
  auto put = [&](int i) {
    self->send(f.router, put_atom::value, ns, "k" + std::to_string(i),
               std::string{"v"}, ttl_option{});
  };
  // One sender, so the owner handles these in this order, several before
  // it sends its watchers what they changed.
  auto a = watch(first);
  for (int i = 1; i <= 50; ++i)
    put(i);
  auto b = watch(second);
  for (int i = 51; i <= 100; ++i)
    put(i);
  REQUIRE(first.wait_revision(100));
  REQUIRE(second.wait_revision(100));
  std::vector<uint64_t> all;
  for (uint64_t r = 1; r <= 100; ++r)
    all.push_back(r);
  CHECK(live_puts(first.events()) == all);
  auto events = second.events();
  CHECK(kinds(events).at(50) == watch_event_kind::snapshot_done);
  CHECK(events.at(50).revision == 50);
  CHECK(live_puts(events) ==
        std::vector<uint64_t>(all.begin() + 50, all.end()));
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("a watch resumes after a revision, in order, then goes live",
          "[watch]") {
  service_fixture f;
  for (int i = 1; i <= 5; ++i)
    must(f.client.put(ns, "k" + std::to_string(i), std::to_string(i)));
  event_log log;
  auto sub =
      must(f.client.watch(ns, {}, cursor_at(f.client, ns, 2), log.handler()));
  must(f.client.erase(ns, "k1"));
  REQUIRE(log.wait_revision(6));
  auto events = log.events();
  CHECK(revisions(events) == std::vector<uint64_t>{3, 4, 5, 6});
  CHECK(kinds(events) == std::vector<watch_event_kind>{
                             watch_event_kind::put, watch_event_kind::put,
                             watch_event_kind::put, watch_event_kind::erase});
  CHECK(events[0].key == "k3");
  CHECK(events[0].value == "3");
  CHECK(events[3].key == "k1");
}

TEST_CASE("resuming before the kept history is cursor_expired", "[watch]") {
  auto opts = test_options();
  opts.watch_history = 3;
  service_fixture f{opts};
  for (int i = 1; i <= 10; ++i)
    must(f.client.put(ns, "k", std::to_string(i)));
  event_log log;
  auto old = f.client.watch(ns, {}, cursor_at(f.client, ns, 1), log.handler());
  CHECK(code(old) == error_code::cursor_expired);
  CHECK_THAT(what(old), Catch::Contains("revision 1"));
  auto recent =
      must(f.client.watch(ns, {}, cursor_at(f.client, ns, 7), log.handler()));
  REQUIRE(log.wait_revision(10));
  CHECK(revisions(log.events()) == std::vector<uint64_t>{8, 9, 10});
}

TEST_CASE("one watch covers several prefixes", "[watch]") {
  service_fixture f;
  must(f.client.put(ns, "a/1", "x"));
  must(f.client.put(ns, "c/1", "x"));
  event_log log;
  // "a/" already covers "a/deep/".
  auto sub = must(
      f.client.watch(ns, {"b/", "a/", "a/deep/"}, caf::none, log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  must(f.client.put(ns, "c/2", "x"));
  must(f.client.put(ns, "b/1", "x"));
  must(f.client.put(ns, "a/deep/1", "x"));
  must(f.client.put_many(ns, {{"a/2", "x", {}}, {"c/3", "x", {}}}));
  REQUIRE(log.wait_revision(6));
  std::vector<std::string> keys;
  for (auto& ev : log.events())
    keys.push_back(ev.key);
  CHECK(keys == std::vector<std::string>{"a/1", "", "b/1", "a/deep/1", "a/2"});
}

TEST_CASE("expiry and erasure are different events, and clear is one",
          "[watch]") {
  auto opts = test_options();
  opts.sweep_interval = std::chrono::milliseconds{50};
  service_fixture f{opts};
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  must(f.client.put(ns, "short", "x", std::chrono::seconds{1}));
  must(f.client.put(ns, "kept", "x"));
  must(f.client.erase(ns, "kept"));
  REQUIRE(log.wait_kind(watch_event_kind::expire));
  must(f.client.put(ns, "a", "x"));
  must(f.client.put(ns, "b", "x"));
  must(f.client.clear(ns));
  REQUIRE(log.wait_kind(watch_event_kind::clear));
  std::vector<std::pair<watch_event_kind, std::string>> changes;
  for (auto& ev : log.events())
    if (ev.kind != watch_event_kind::progress &&
        ev.kind != watch_event_kind::snapshot_done)
      changes.emplace_back(ev.kind, ev.key);
  using k = watch_event_kind;
  CHECK(changes == std::vector<std::pair<k, std::string>>{{k::put, "short"},
                                                          {k::put, "kept"},
                                                          {k::erase, "kept"},
                                                          {k::expire, "short"},
                                                          {k::put, "a"},
                                                          {k::put, "b"},
                                                          {k::clear, ""}});
}

TEST_CASE("a watcher that falls behind is dropped while the namespace goes on",
          "[watch]") {
  auto opts = test_options();
  opts.watch_max_lag = 5;
  service_fixture f{opts};
  std::atomic<bool> release{false};
  event_log log;
  // Stuck on the first live change until the test lets go.
  auto sub = must(f.client.watch(ns, {}, caf::none, log.stuck_on_put(release)));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  for (int i = 0; i < 20; ++i)
    must(f.client.put(ns, "k" + std::to_string(i), "x"));
  release = true;
  REQUIRE(log.wait_kind(watch_event_kind::dropped));
  auto events = log.events();
  CHECK_THAT(events.back().value, Catch::Contains("behind"));
  // The watch is gone; writes go on without it.
  CHECK_FALSE(must(f.client.unwatch(ns, sub.id())));
  CHECK(must(f.client.put(ns, "after", "x")) == 21);
}

TEST_CASE("a watcher that holds a batch past watch-ack-timeout is dropped",
          "[watch]") {
  auto opts = test_options();
  opts.watch_ack_timeout = std::chrono::seconds{1};
  opts.sweep_interval = std::chrono::milliseconds{50};
  service_fixture f{opts};
  std::atomic<bool> release{false};
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.stuck_on_put(release)));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  must(f.client.put(ns, "k", "x"));
  // Held past the limit: the owner, checking every sweep-interval, drops
  // the watcher while it still holds the batch.
  REQUIRE(
      eventually([&] { return must(f.client.stats()).watchers == 0; }, 20s));
  release = true;
  REQUIRE(log.wait_kind(watch_event_kind::dropped));
  auto events = log.events();
  CHECK_THAT(events.back().value, Catch::Contains("watch-ack-timeout"));
  // The dropped event's cursor is that of the batch the watcher held.
  CHECK(events.back().revision == 1);
  CHECK_FALSE(must(f.client.unwatch(ns, sub.id())));
  CHECK(must(f.client.put(ns, "after", "x")) == 2);
}

TEST_CASE("a watcher that stops is removed", "[watch]") {
  service_fixture f;
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  auto id = sub.id();
  sub.stop();
  CHECK(eventually([&] { return !must(f.client.unwatch(ns, id)); }, 20s));
}

TEST_CASE("an idle watcher hears the current revision periodically",
          "[watch]") {
  auto opts = test_options();
  opts.sweep_interval = std::chrono::milliseconds{50};
  service_fixture f{opts};
  must(f.client.put(ns, "k", "x"));
  must(f.client.put(ns, "other", "x"));
  event_log log;
  auto sub = must(
      f.client.watch(ns, {"k"}, cursor_at(f.client, ns, 2), log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::progress));
  auto events = log.events();
  CHECK(events.front().kind == watch_event_kind::progress);
  CHECK(events.front().revision == 2);
}

TEST_CASE("watchers hear when the service stops", "[watch]") {
  service_fixture f;
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  stop_service(f.router);
  REQUIRE(log.wait_kind(watch_event_kind::dropped));
  CHECK_THAT(log.events().back().value, Catch::Contains("stopping"));
}
