// Watches and transactions against a real PostgreSQL 15: a watcher resumes
// from its cursor after the service restarted, and a transaction is all or
// nothing after the service is killed with SIGKILL.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <map>

#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/child_process.hpp"
#include "tests/support/event_log.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/scratch_database.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"history"}};

} // namespace

TEST_CASE("a watcher resumes from its cursor after a restart", "[pg][watch]") {
  scratch_database db;
  watch_cursor saved;
  {
    service_fixture first{pg_options(db)};
    for (int i = 1; i <= 5; ++i)
      must(first.client.put(ns, "k" + std::to_string(i), std::to_string(i)));
    must(first.client.erase(ns, "k1"));
    // Taken from the first service: its incarnation is stored.
    saved = cursor_at(first.client, ns, 3);
  }
  service_fixture second{pg_options(db)};
  event_log log;
  auto sub = must(second.client.watch(ns, {}, saved, log.handler()));
  must(second.client.put(ns, "k9", "9"));
  REQUIRE(log.wait_revision(7));
  auto events = log.events();
  REQUIRE(events.size() == 4);
  CHECK(events[0].revision == 4);
  CHECK(events[0].key == "k4");
  CHECK(events[0].value == "4");
  CHECK(events[1].revision == 5);
  CHECK(events[2].kind == watch_event_kind::erase);
  CHECK(events[2].key == "k1");
  CHECK(events[3].revision == 7);
  CHECK(events[3].key == "k9");
}

TEST_CASE("the kept history survives a restart with its limit", "[pg][watch]") {
  scratch_database db;
  auto opts = pg_options(db);
  opts.watch_history = 4;
  {
    service_fixture first{opts};
    for (int i = 1; i <= 10; ++i)
      must(first.client.put(ns, "k", std::to_string(i)));
  }
  service_fixture second{opts};
  event_log log;
  CHECK(code(second.client.watch(ns, {}, cursor_at(second.client, ns, 2),
                                 log.handler())) == error_code::cursor_expired);
  auto sub = must(second.client.watch(ns, {}, cursor_at(second.client, ns, 7),
                                      log.handler()));
  REQUIRE(log.wait_revision(10));
  auto events = log.events();
  REQUIRE(events.size() == 3);
  CHECK(events.front().value == "8");
}

TEST_CASE("with async durability a cursor does not outlive its service",
          "[pg][watch]") {
  scratch_database db;
  auto opts = pg_options(db);
  opts.postgres->mode = durability::async;
  watch_cursor saved;
  {
    service_fixture first{opts};
    for (int i = 1; i <= 3; ++i)
      must(first.client.put(ns, "k", std::to_string(i)));
    saved = cursor_at(first.client, ns, 3);
    REQUIRE(first.client.sync());
  }
  // Events an async watcher saw may not have been committed: after a
  // restart its cursor could name revisions handed out again.
  service_fixture second{opts};
  event_log log;
  auto stale = second.client.watch(ns, {}, saved, log.handler());
  CHECK(code(stale) == error_code::cursor_expired);
  CHECK_THAT(what(stale), Catch::Contains("another incarnation"));
  // Within one life, cursors work as in sync mode.
  auto now = must(second.client.watch(ns, {}, cursor_at(second.client, ns, 3),
                                      log.handler()));
  must(second.client.put(ns, "k", "4"));
  REQUIRE(log.wait_revision(4));
  CHECK(log.events().front().value == "4");
}

TEST_CASE("SIGKILL leaves every transaction whole or absent",
          "[pg][crash][txn]") {
  scratch_database db;
  auto acked =
      acked_until_killed(PG_WRITER_BINARY, {db.conninfo(), "txn"}, 100);
  REQUIRE(acked.size() >= 100);
  service_fixture f{pg_options(db)};
  namespace_path writer_ns{"crash", {"writer"}};
  // Acknowledged transactions are whole; the one in flight is whole or
  // absent; nothing is half there.
  for (long t = 0; t <= acked.rbegin()->first + 20; ++t) {
    std::vector<std::string> keys;
    for (int k = 0; k < 5; ++k)
      keys.push_back("t" + std::to_string(t) + "-" + std::to_string(k));
    auto found = must(f.client.get_many(writer_ns, keys));
    INFO("transaction " << t);
    CHECK((found.empty() || found.size() == 5));
    if (acked.count(t) > 0) {
      REQUIRE(found.size() == 5);
      for (auto& e : found) {
        CHECK(e.version == acked[t]);
        CHECK(e.value == "txn-" + std::to_string(t));
      }
    }
  }
  // Its history holds one revision per transaction, five events each.
  event_log log;
  auto last = acked.rbegin()->second;
  auto sub = must(f.client.watch(
      writer_ns, {}, cursor_at(f.client, writer_ns, last - 3), log.handler()));
  REQUIRE(log.wait_revision(last));
  std::map<uint64_t, int> per_revision;
  for (auto& ev : log.events())
    if (ev.version <= last)
      ++per_revision[ev.version];
  CHECK(per_revision ==
        std::map<uint64_t, int>{{last - 2, 5}, {last - 1, 5}, {last, 5}});
}
