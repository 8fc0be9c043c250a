// Commits pipelined inside one namespace, against a real PostgreSQL 15: a
// reply waits for everything it observed to be committed, a failed commit
// fails everything that waited on it and leaves no trace (in reads, in
// watch events, in the database), and compare-and-swap loses no update.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>
#include <pqxx/pqxx>

#include "tests/support/event_log.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/scratch_database.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"pipeline", {"one"}};

/// Whether the log holds an event for `key`.
bool saw(const event_log& log, const std::string& key) {
  for (auto& ev : log.events())
    if (ev.key == key)
      return true;
  return false;
}

} // namespace

TEST_CASE("a failed commit fails every reply that waited on it, and nothing "
          "of it is ever seen",
          "[pg][pipeline]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  auto base = must(f.client.put(ns, "base", "0"));
  event_log log;
  auto sub = must(f.client.watch(ns, {}, caf::none, log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  // The fault: the database refuses one value.
  db.query("CREATE FUNCTION sk_test_poison() RETURNS trigger"
           " LANGUAGE plpgsql AS $$ BEGIN"
           " IF NEW.value = 'poison'::bytea THEN"
           " RAISE EXCEPTION 'poisoned by the test'; END IF;"
           " RETURN NEW; END $$");
  db.query("CREATE TRIGGER poison BEFORE INSERT OR UPDATE ON sk_entries"
           " FOR EACH ROW EXECUTE FUNCTION sk_test_poison()");
  // Holds the first commit at the table lock, so that the requests after it
  // wait on commits, in order.
  pqxx::connection locker{db.conninfo()};
  pqxx::work hold{locker};
  hold.exec("LOCK TABLE sk_entries IN EXCLUSIVE MODE");
  caf::scoped_actor self{f.sys};
  auto put = [&](const std::string& key, const std::string& value) {
    return self->request(f.router, 30s, put_atom::value, ns, key, value,
                         ttl_option{});
  };
  auto get = [&](const std::string& key) {
    return self->request(f.router, 30s, get_atom::value, ns, key);
  };
  auto a = put("a", "1");
  std::this_thread::sleep_for(300ms); // its commit reaches the lock
  // A read of "a" waits for its commit: it has not returned while the
  // commit cannot finish.
  std::atomic<bool> read_back{false};
  caf::expected<caf::optional<entry>> early_read{caf::none};
  std::thread reader{[&] {
    blocking_client other{f.sys, f.router};
    early_read = other.get(ns, "a");
    read_back = true;
  }};
  auto b = put("b", "2");
  auto read_a = get("a");
  auto poisoned = put("c", "poison");
  auto d = put("d", "4");
  auto read_d = get("d");
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(read_back);
  hold.abort();
  bool a_acked = false;
  auto expect_lost = [](const caf::error& err) {
    CHECK(code_of(err) == error_code::storage_unavailable);
  };
  auto put_acked = [](uint64_t) { FAIL("a write after the poison succeeded"); };
  auto read_answered = [](const caf::optional<entry>&) {
    FAIL("a read after the poison was answered");
  };
  a.receive(
      [&](uint64_t v) {
        a_acked = true;
        CHECK(v == base + 1);
      },
      [](const caf::error&) {});
  // Everything from "b" on shares the poisoned commit, or waits on it.
  b.receive(put_acked, expect_lost);
  read_a.receive(read_answered, expect_lost);
  poisoned.receive(put_acked, expect_lost);
  d.receive(put_acked, expect_lost);
  read_d.receive(read_answered, expect_lost);
  reader.join();
  if (early_read) {
    // It saw "a" only once "a" was committed.
    REQUIRE(a_acked);
    REQUIRE(*early_read);
    CHECK((*early_read)->version == base + 1);
  }
  // Nothing of the failed commit is visible, and versions go on from what
  // is committed.
  auto check_state = [&](blocking_client& client) {
    CHECK(static_cast<bool>(must(client.get(ns, "a"))) == a_acked);
    CHECK_FALSE(must(client.get(ns, "b")));
    CHECK_FALSE(must(client.get(ns, "c")));
    CHECK_FALSE(must(client.get(ns, "d")));
  };
  check_state(f.client);
  auto e = must(f.client.put(ns, "e", "5"));
  CHECK(e == base + (a_acked ? 2 : 1));
  REQUIRE(log.wait_revision(e));
  CHECK(saw(log, "a") == a_acked);
  CHECK_FALSE(saw(log, "b"));
  CHECK_FALSE(saw(log, "c"));
  CHECK_FALSE(saw(log, "d"));
  CHECK(saw(log, "e"));
  service_fixture again{pg_options(db)};
  check_state(again.client);
  auto stored = must(again.client.get(ns, "e"));
  REQUIRE(stored);
  CHECK(stored->version == e);
}

TEST_CASE("compare-and-swap increments from many clients lose no update",
          "[pg][pipeline]") {
  scratch_database db;
  constexpr int clients = 8;
  constexpr int increments = 40;
  {
    service_fixture f{pg_options(db)};
    must(f.client.put(ns, "counter", "0"));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&] {
        blocking_client client{f.sys, f.router};
        for (int done = 0; done < increments;) {
          auto current = client.get(ns, "counter");
          if (!current || !*current) {
            ++failures;
            return;
          }
          auto next = std::to_string(std::stoi((*current)->value) + 1);
          auto swapped =
              client.update(ns, "counter", next, (*current)->version);
          if (swapped)
            ++done;
          else if (code_of(swapped.error()) != error_code::revision_mismatch) {
            ++failures;
            return;
          }
        }
      });
    for (auto& t : threads)
      t.join();
    REQUIRE(failures == 0);
    auto counter = must(f.client.get(ns, "counter"));
    REQUIRE(counter);
    CHECK(counter->value == std::to_string(clients * increments));
  }
  service_fixture again{pg_options(db)};
  auto counter = must(again.client.get(ns, "counter"));
  REQUIRE(counter);
  CHECK(counter->value == std::to_string(clients * increments));
}

TEST_CASE("owners passivated while callers hold them lose no request and "
          "repeat none",
          "[pg][pipeline]") {
  // Two active owners at most, eight namespaces written at once: owners
  // are retired all the time while each client holds them in its cache.
  scratch_database db;
  auto opts = pg_options(db);
  opts.max_active_namespaces = 2;
  constexpr int clients = 4;
  constexpr int namespaces = 8;
  constexpr int writes = 96; // 12 per namespace and client
  service_fixture f{opts};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      blocking_client client{f.sys, f.router};
      for (int i = 0; i < writes; ++i) {
        namespace_path target{"churn", {"n" + std::to_string(i % namespaces)}};
        auto key = "c" + std::to_string(c) + "-" + std::to_string(i);
        if (!client.put(target, key, key))
          ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  // No error reached a caller.
  CHECK(failures == 0);
  auto check = [&](blocking_client& client) {
    for (int n = 0; n < namespaces; ++n) {
      namespace_path target{"churn", {"n" + std::to_string(n)}};
      // Each put applied once: as many entries as revisions.
      auto count = must(client.key_count(target));
      CHECK(count == clients * writes / namespaces);
      auto page = must(client.scan(target, "", "", 100));
      uint64_t newest = 0;
      for (auto& e : page.entries) {
        CHECK(e.value == e.key);
        newest = std::max(newest, e.version);
      }
      CHECK(newest == count);
    }
  };
  check(f.client);
  service_fixture again{pg_options(db)};
  check(again.client);
}
