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
  {
    service_fixture first{pg_options(db)};
    for (int i = 1; i <= 5; ++i)
      must(first.client.put(ns, "k" + std::to_string(i), std::to_string(i)));
    must(first.client.erase(ns, "k1"));
  }
  service_fixture second{pg_options(db)};
  event_log log;
  auto sub = must(second.client.watch(ns, {}, uint64_t{3}, log.handler()));
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
  CHECK(code(second.client.watch(ns, {}, uint64_t{2}, log.handler())) ==
        error_code::cursor_expired);
  auto sub = must(second.client.watch(ns, {}, uint64_t{7}, log.handler()));
  REQUIRE(log.wait_revision(10));
  auto events = log.events();
  REQUIRE(events.size() == 3);
  CHECK(events.front().value == "8");
}

TEST_CASE("SIGKILL leaves every transaction whole or absent",
          "[pg][crash][txn]") {
  scratch_database db;
  auto [pid, fd] = start_child(PG_WRITER_BINARY, {db.conninfo(), "txn"});
  REQUIRE(pid > 0);
  FILE* out = fdopen(fd, "r");
  std::map<long, unsigned long long> acked;
  long i;
  unsigned long long revision;
  while (acked.size() < 100 &&
         fscanf(out, "acked %ld %llu\n", &i, &revision) == 2)
    acked[i] = revision;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  fclose(out);
  REQUIRE(acked.size() == 100);
  service_fixture f{pg_options(db)};
  namespace_path writer_ns{"crash", {"writer"}};
  // Acknowledged transactions are whole; the one in flight is whole or
  // absent; nothing is half there.
  for (long t = 0; t < 100 + 20; ++t) {
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
  auto sub = must(f.client.watch(writer_ns, {}, last - 3, log.handler()));
  REQUIRE(log.wait_revision(last));
  std::map<uint64_t, int> per_revision;
  for (auto& ev : log.events())
    if (ev.revision <= last)
      ++per_revision[ev.revision];
  CHECK(per_revision ==
        std::map<uint64_t, int>{{last - 2, 5}, {last - 1, 5}, {last, 5}});
}
