// Watch cursors never mislead: every event's cursor, snapshot entries and
// events in the middle of a revision included, resumes a watch with nothing
// lost; `dropped` names where to resume; a cursor ahead of the namespace or
// of another incarnation is cursor_expired, never a stream of wrong events.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "tests/support/event_log.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"cursors"}};

using key_values = std::map<std::string, std::string>;

// What a consumer keeps: the state the events describe.
void replay(key_values& state, const watch_event& ev) {
  switch (ev.kind) {
  case watch_event_kind::put:
    state[ev.key] = ev.value;
    break;
  case watch_event_kind::erase:
  case watch_event_kind::expire:
    state.erase(ev.key);
    break;
  case watch_event_kind::clear:
    state.clear();
    break;
  default:
    break;
  }
}

key_values stored(blocking_client& client) {
  key_values result;
  for (auto& e : must(client.scan(ns, "", "", 100)).entries)
    result[e.key] = e.value;
  return result;
}

} // namespace

TEST_CASE("every event's cursor resumes a watch with nothing lost", "[watch]") {
  service_fixture f;
  must(f.client.put_many(ns, {{"a", "1", {}}, {"b", "2", {}}, {"c", "3", {}}}));
  must(f.client.put(ns, "d", "4"));
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  must(f.client.put_many(ns, {{"e", "5", {}}, {"f", "6", {}}}));
  must(f.client.erase(ns, "a"));
  REQUIRE(log.wait_revision(4));
  auto events = log.events();
  // Snapshot entries carry 0, snapshot_done its revision; within revision
  // 3, the first event carries 2.
  std::vector<uint64_t> cursors;
  for (auto& ev : events)
    cursors.push_back(ev.revision);
  CHECK(cursors == std::vector<uint64_t>{0, 0, 0, 0, 2, 2, 3, 4});
  auto expected = stored(f.client);
  key_values state;
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("resuming after event " << i);
    replay(state, events[i]);
    // A consumer that stops after event i and resumes from its cursor.
    auto rebuilt = state;
    event_log resumed;
    auto again =
        must(f.client.watch(ns, {}, events[i].cursor(), resumed.handler()));
    if (events[i].revision < 4)
      REQUIRE(resumed.wait_revision(4));
    for (auto& ev : resumed.events())
      replay(rebuilt, ev);
    CHECK(rebuilt == expected);
  }
}

TEST_CASE("dropped names the cursor to resume from, and resuming from it "
          "loses nothing",
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
    must(f.client.put(ns, "k" + std::to_string(i), "v" + std::to_string(i)));
  release = true;
  REQUIRE(log.wait_kind(watch_event_kind::dropped));
  auto events = log.events();
  REQUIRE(events.size() >= 2);
  auto dropped = events.back();
  events.pop_back();
  // The last event the watcher handled, not the namespace's revision.
  CHECK(dropped.revision == events.back().revision);
  CHECK(dropped.revision < 20);
  key_values state;
  for (auto& ev : events)
    replay(state, ev);
  event_log resumed;
  auto again =
      must(f.client.watch(ns, {}, dropped.cursor(), resumed.handler()));
  REQUIRE(resumed.wait_revision(20));
  for (auto& ev : resumed.events())
    replay(state, ev);
  CHECK(state == stored(f.client));
}

TEST_CASE("a cursor ahead of the namespace is cursor_expired", "[watch]") {
  service_fixture f;
  for (int i = 1; i <= 3; ++i)
    must(f.client.put(ns, "k" + std::to_string(i), "x"));
  event_log log;
  auto ahead =
      f.client.watch(ns, {}, cursor_at(f.client, ns, 8), log.handler());
  CHECK(code(ahead) == error_code::cursor_expired);
  CHECK_THAT(what(ahead), Catch::Contains("ahead of the namespace"));
  CHECK_THAT(what(ahead), Catch::Contains("revision 3"));
  // The current revision itself is a valid cursor.
  auto now =
      must(f.client.watch(ns, {}, cursor_at(f.client, ns, 3), log.handler()));
  must(f.client.put(ns, "k4", "x"));
  REQUIRE(log.wait_revision(4));
  CHECK(log.events().front().key == "k4");
}

TEST_CASE("a cursor from before an in-memory service restarted is "
          "cursor_expired",
          "[watch]") {
  watch_cursor saved;
  {
    service_fixture first;
    for (int i = 1; i <= 3; ++i)
      must(first.client.put(ns, "k", "old" + std::to_string(i)));
    saved = cursor_at(first.client, ns, 3);
  }
  // The restarted service counts revisions from 1 again: revision 3 of
  // now is another change than revision 3 of before.
  service_fixture second;
  for (int i = 1; i <= 5; ++i)
    must(second.client.put(ns, "k", "new" + std::to_string(i)));
  event_log log;
  auto stale = second.client.watch(ns, {}, saved, log.handler());
  CHECK(code(stale) == error_code::cursor_expired);
  CHECK_THAT(what(stale), Catch::Contains("another incarnation"));
}
