// The PostgreSQL-backed service against a real PostgreSQL 15 (started by
// scripts/with-postgres.sh): every operation, restarts, crashes, lost
// connections, group commit, and answers for inactive namespaces; and the
// backend's change history, through postgres_backend directly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <pqxx/pqxx>

#include "backends/postgres/postgres_backend.hpp"
#include "tests/support/change_records.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/scratch_database.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme",
                        {"agent/a", "conv:1", "50%", "%2F", "ünï cødé"}};

const std::string binary_value{"\0\xff\x00\xfe-bytes", 9};

} // namespace

TEST_CASE("every operation works against PostgreSQL and survives a restart",
          "[pg]") {
  scratch_database db;
  uint64_t v_a = 0;
  {
    service_fixture f{pg_options(db)};
    v_a = must(f.client.put(ns, "a", "1"));
    REQUIRE(must(f.client.put(ns, "bin", binary_value)) == v_a + 1);
    REQUIRE(must(f.client.create(ns, "c", "3")) == v_a + 2);
    CHECK(code(f.client.create(ns, "c", "again")) ==
          error_code::already_exists);
    auto v_c = must(f.client.update(ns, "c", "33", v_a + 2));
    CHECK(code(f.client.update(ns, "c", "x", v_a)) ==
          error_code::revision_mismatch);
    REQUIRE(
        must(f.client.put_many(ns, {{"d", "4", {}}, {"e", "5", {}}})).size() ==
        2);
    CHECK(must(f.client.erase(ns, "d")));
    CHECK(must(f.client.erase_if(ns, "e", v_c + 1)));
    REQUIRE(must(f.client.put(ns, "short", "gone soon", 4s)));
    REQUIRE(must(f.client.put(ns, "long", "stays", 1h)));
    CHECK(must(f.client.expire(ns, "a", 1h)));
    CHECK(must(f.client.persist(ns, "a")));
    auto got = must(f.client.get(ns, "bin"));
    REQUIRE(got);
    CHECK(got->value == binary_value);
    CHECK(must(f.client.key_count(ns)) == 5);
    CHECK(must(f.client.contains(ns, "c")));
    CHECK(must(f.client.get_many(ns, {"a", "zz", "c"})).size() == 2);
    CHECK(must(f.client.scan(ns, "", "b", 2)).entries.size() == 2);
    REQUIRE(f.client.put_many(ns, {{"tmp1", "x", {}}, {"tmp2", "y", {}}}));
    CHECK(must(f.client.erase_many(ns, {"tmp1", "tmp2", "none"})) == 2);
    CHECK(must(f.client.list_keys(ns)).keys ==
          std::vector<std::string>{"a", "bin", "c", "long", "short"});
  }
  std::this_thread::sleep_for(4100ms);
  service_fixture f{pg_options(db)};
  auto a = must(f.client.get(ns, "a"));
  REQUIRE(a);
  CHECK(a->value == "1");
  CHECK_FALSE(a->expires_at);
  CHECK(must(f.client.get(ns, "bin"))->value == binary_value);
  CHECK(must(f.client.get(ns, "bin"))->version == v_a + 1);
  CHECK(must(f.client.get(ns, "c"))->value == "33");
  CHECK_FALSE(must(f.client.get(ns, "d")));
  CHECK_FALSE(must(f.client.get(ns, "e")));
  CHECK_FALSE(must(f.client.get(ns, "short")));
  CHECK(must(f.client.get(ns, "long"))->expires_at);
  CHECK(must(f.client.list_keys(ns)).keys ==
        std::vector<std::string>{"a", "bin", "c", "long"});
  // Versions continue upward from where the last run stopped.
  auto last = must(f.client.get(ns, "a"))->version;
  CHECK(must(f.client.put(ns, "new", "x")) > last);
  CHECK(must(f.client.clear(ns)) == 5);
  CHECK(must(f.client.key_count(ns)) == 0);
}

TEST_CASE("a cleared namespace stays cleared and keeps its revision", "[pg]") {
  scratch_database db;
  uint64_t before = 0;
  {
    service_fixture f{pg_options(db)};
    REQUIRE(must(f.client.put(ns, "a", "1")));
    REQUIRE(must(f.client.clear(ns)) == 1);
    before = must(f.client.put(ns, "b", "2"));
    REQUIRE(must(f.client.erase(ns, "b")));
  }
  service_fixture f{pg_options(db)};
  CHECK(must(f.client.key_count(ns)) == 0);
  CHECK(must(f.client.put(ns, "c", "3")) == before + 2);
}

TEST_CASE("async durability: sync() makes acknowledged writes durable",
          "[pg]") {
  scratch_database db;
  {
    // A delay far beyond the test: only sync() can have committed.
    auto opts = pg_options(db, durability::async);
    opts.postgres->async_delay = 1h;
    service_fixture f{opts};
    for (int i = 0; i < 5; ++i)
      REQUIRE(f.client.put(ns, "early" + std::to_string(i), "v"));
    CHECK(db.query("SELECT count(*) FROM sk_entries") == "0");
    for (int i = 0; i < 50; ++i)
      REQUIRE(f.client.put(ns, "k" + std::to_string(i), std::to_string(i)));
    REQUIRE(f.client.sync());
    CHECK(db.query("SELECT count(*) FROM sk_entries") == "55");
  }
  service_fixture f{pg_options(db, durability::async)};
  CHECK(must(f.client.key_count(ns)) == 55);
  CHECK(must(f.client.get(ns, "k49"))->value == "49");
}

TEST_CASE("inactive namespaces are answered from the database", "[pg]") {
  scratch_database db;
  namespace_path a{"acme", {"a"}};
  namespace_path b{"acme", {"b:c"}};
  namespace_path slash{"acme", {"b/c"}};
  namespace_path expired{"acme", {"expired"}};
  namespace_path other{"globex"};
  {
    service_fixture f{pg_options(db)};
    REQUIRE(f.client.put(a, "k", "v"));
    REQUIRE(f.client.put(b, "k", "v"));
    REQUIRE(f.client.put(slash, "k", "v"));
    REQUIRE(f.client.put(expired, "k", "v", 200ms));
    REQUIRE(f.client.put(other, "k", "v"));
  }
  std::this_thread::sleep_for(300ms);
  service_fixture f{pg_options(db)};
  CHECK(must(f.client.list_namespaces(namespace_path{"acme"})) ==
        std::vector<namespace_path>{a, slash, b});
  // A '/' inside a segment is not a level: "b/c" is not under "b".
  CHECK(must(f.client.list_namespaces(namespace_path{"acme", {"b"}})).empty());
  CHECK(must(f.client.list_namespaces(namespace_path{"acme", {"b/c"}})) ==
        std::vector<namespace_path>{slash});
  CHECK(must(f.client.namespace_exists(b)));
  CHECK_FALSE(must(f.client.namespace_exists(expired)));
  CHECK_FALSE(must(f.client.namespace_exists(namespace_path{"nobody"})));
  // Answered without loading (activating) any namespace.
  CHECK(must(f.client.stats()).active_namespaces == 0);
  // An active namespace and an inactive one mix in one listing.
  REQUIRE(f.client.put(namespace_path{"acme", {"new"}}, "k", "v"));
  CHECK(must(f.client.list_namespaces(namespace_path{"acme"})).size() == 4);
  CHECK(must(f.client.list_namespaces()).size() == 5);
}

TEST_CASE("expired rows of inactive namespaces are purged", "[pg]") {
  scratch_database db;
  {
    service_fixture f{pg_options(db)};
    std::vector<put_item> items;
    for (int i = 0; i < 10; ++i)
      items.push_back({"t" + std::to_string(i), "v", 100ms});
    items.push_back({"keep", "v", {}});
    REQUIRE(f.client.put_many(ns, items));
  }
  REQUIRE(db.query("SELECT count(*) FROM sk_entries") == "11");
  auto opts = pg_options(db);
  opts.sweep_interval = 100ms;
  service_fixture f{opts};
  eventually([&] { return db.query("SELECT count(*) FROM sk_entries") == "1"; },
             10s, 50ms);
  CHECK(db.query("SELECT count(*) FROM sk_entries") == "1");
  CHECK(db.query("SELECT convert_from(key, 'UTF8') FROM sk_entries") == "keep");
}

TEST_CASE("group commit: concurrent writers share transactions", "[pg]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  constexpr int writers = 16;
  constexpr int writes_each = 40;
  caf::scoped_actor waiter{f.sys};
  auto router = f.router;
  caf::actor done = caf::actor{waiter};
  // The writer index travels as a spawn argument: CAF 0.17 trips UBSan when
  // a function-based actor is spawned without any.
  for (int w = 0; w < writers; ++w)
    f.sys.spawn(
        [=](caf::event_based_actor* self, int w) {
          // One namespace per writer, writes one after another.
          auto target = namespace_path{"group", {"w" + std::to_string(w)}};
          auto next = std::make_shared<std::function<void(int)>>();
          *next = [=](int i) {
            if (i == writes_each) {
              self->send(done, w);
              *next = nullptr; // break the cycle
              return;
            }
            self->request(router, 30s, put_atom::value, target,
                          "k" + std::to_string(i), std::string{"v"},
                          ttl_option{})
                .then([=](uint64_t) { (*next)(i + 1); },
                      [=](caf::error&) { (*next)(i + 1); });
          };
          (*next)(0);
        },
        w);
  for (int w = 0; w < writers; ++w)
    waiter->receive([](int) {});
  CHECK(db.query("SELECT count(*) FROM sk_entries") ==
        std::to_string(writers * writes_each));
  auto stats = must(f.client.stats());
  INFO("commits: " << stats.commits << ", batches: " << stats.batches);
  CHECK(stats.batches == uint64_t{writers * writes_each});
  CHECK(stats.commits * 4 <= stats.batches);
}

TEST_CASE("lost connections: errors, no lost acknowledged write, recovery",
          "[pg]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  std::map<std::string, uint64_t> acked;
  int failures = 0;
  for (int i = 0; i < 300; ++i) {
    if (i % 50 == 25)
      db.terminate_connections();
    auto key = "k" + std::to_string(i);
    auto v = f.client.put(ns, key, "v" + std::to_string(i));
    if (v) {
      acked[key] = *v;
    } else {
      ++failures;
      INFO(f.client.render(v.error()));
      CHECK(code(v) == error_code::storage_unavailable);
      // A write whose commit failed is not visible.
      CHECK_FALSE(must(f.client.get(ns, key)));
    }
  }
  CHECK(failures > 0);
  CHECK(acked.size() > 250);
  // Writes succeed again without restarting the service.
  CHECK(f.client.put(ns, "after", "ok"));
  service_fixture reader{pg_options(db)};
  for (auto& [key, version] : acked) {
    auto got = must(reader.client.get(ns, key));
    INFO(key);
    REQUIRE(got);
    CHECK(got->version == version);
  }
}

TEST_CASE("a PostgreSQL restart fails writes cleanly and service resumes",
          "[pg][restart]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  REQUIRE(f.client.put(ns, "before", "1"));
  std::atomic<bool> restarted{false};
  std::thread restarter{[&] {
    scratch_database::restart_server();
    restarted = true;
  }};
  std::map<std::string, uint64_t> acked;
  int failures = 0;
  // Write through the restart and a little beyond: the connection the
  // service held died with the old server, so some write must fail.
  for (int i = 0, after = 0; after < 20 && i < 5000; ++i) {
    if (restarted)
      ++after;
    auto key = "k" + std::to_string(i);
    if (auto v = f.client.put(ns, key, "v")) {
      acked[key] = *v;
    } else {
      ++failures;
      // storage_unavailable, or timeout if the connection broke during
      // COMMIT.
      CHECK(is_retryable(code(v)));
    }
    std::this_thread::sleep_for(5ms);
  }
  restarter.join();
  CHECK(failures > 0);
  CHECK(eventually(
      [&] { return static_cast<bool>(f.client.put(ns, "after", "ok")); }, 20s,
      50ms));
  service_fixture reader{pg_options(db)};
  CHECK(must(reader.client.get(ns, "before")));
  for (auto& [key, version] : acked) {
    auto got = must(reader.client.get(ns, key));
    INFO(key);
    REQUIRE(got);
    CHECK(got->version == version);
  }
}

TEST_CASE("SIGKILL loses no acknowledged write", "[pg][crash]") {
  scratch_database db;
  auto acked = acked_until_killed(PG_WRITER_BINARY, {db.conninfo()}, 300);
  REQUIRE(acked.size() >= 300);
  service_fixture f{pg_options(db)};
  namespace_path writer_ns{"crash", {"writer"}};
  for (auto& [key, v] : acked) {
    auto got = must(f.client.get(writer_ns, "k" + std::to_string(key)));
    INFO("k" << key);
    REQUIRE(got);
    CHECK(got->value == "value-" + std::to_string(key));
    CHECK(got->version == v);
  }
}

TEST_CASE("SIGKILL of 64 writers on one namespace loses no acknowledged write",
          "[pg][crash]") {
  // One owner pipelines their commits: each reply waits for its commit.
  for (int trial = 0; trial < 3; ++trial) {
    INFO("trial " << trial);
    scratch_database db;
    auto acked = acked_until_killed(PG_WRITER_BINARY,
                                    {db.conninfo(), "writers", "64"}, 1000);
    REQUIRE(acked.size() >= 1000);
    service_fixture f{pg_options(db)};
    namespace_path writer_ns{"crash", {"writer"}};
    std::set<uint64_t> versions;
    for (auto& [key, v] : acked) {
      INFO("k" << key);
      // Each put is a revision of its own.
      CHECK(versions.insert(v).second);
      auto got = must(f.client.get(writer_ns, "k" + std::to_string(key)));
      REQUIRE(got);
      CHECK(got->value == "value-" + std::to_string(key));
      CHECK(got->version == v);
    }
  }
}

TEST_CASE("SIGKILL in async mode loses no more than async-max-pending",
          "[pg][crash]") {
  constexpr int max_pending = 50;
  for (int trial = 0; trial < 3; ++trial) {
    INFO("trial " << trial);
    scratch_database db;
    // Writes run ahead of their commits until the backlog holds them.
    auto acked = acked_until_killed(
        PG_WRITER_BINARY, {db.conninfo(), "async", std::to_string(max_pending)},
        3000);
    REQUIRE(acked.size() >= 3000);
    service_fixture f{pg_options(db)};
    namespace_path writer_ns{"crash", {"writer"}};
    std::vector<std::string> keys;
    size_t lost = 0;
    for (auto& entry : acked) {
      keys.push_back("k" + std::to_string(entry.first));
      if (keys.size() == 16 || entry.first == acked.rbegin()->first) {
        lost += keys.size() - must(f.client.get_many(writer_ns, keys)).size();
        keys.clear();
      }
    }
    CHECK(lost <= max_pending);
  }
}

TEST_CASE("start-up with PostgreSQL unreachable fails clearly", "[pg]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = test_options();
  postgres_options pg;
  pg.conninfo = "host=127.0.0.1 port=1 connect_timeout=2";
  opts.postgres = pg;
  auto router = spawn_service(sys, opts);
  REQUIRE_FALSE(router);
  CHECK(code(router) == error_code::storage_unavailable);
  CHECK_THAT(what(router), Catch::Contains("PostgreSQL unavailable"));
}

TEST_CASE("start-up waits for PostgreSQL when told to", "[pg][restart]") {
  scratch_database db;
  scratch_database::stop_server();
  std::thread starter{[] {
    std::this_thread::sleep_for(1s);
    scratch_database::start_server();
  }};
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = pg_options(db);
  opts.postgres->startup_wait = 20s;
  auto started = std::chrono::steady_clock::now();
  auto router = spawn_service(sys, opts);
  auto waited = std::chrono::steady_clock::now() - started;
  starter.join();
  REQUIRE(router);
  CHECK(waited >= 500ms); // it really waited for the server
  blocking_client client{sys, *router};
  CHECK(client.put(ns, "k", "v"));
  stop_service(*router);
}

TEST_CASE("a write refused while PostgreSQL is down leaves reads served",
          "[pg][restart]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  auto v = must(f.client.put(ns, "k", "committed"));
  scratch_database::stop_server();
  // The server is gone before the commit starts: nothing was applied, for
  // certain, so the namespace keeps serving what is committed.
  auto refused = f.client.put(ns, "k", "refused");
  CHECK(code(refused) == error_code::storage_unavailable);
  auto got = f.client.get(ns, "k");
  scratch_database::start_server();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->value == "committed");
  CHECK((*got)->version == v);
  caf::expected<uint64_t> again{caf::error{}};
  eventually(
      [&] {
        again = f.client.put(ns, "k", "after");
        return static_cast<bool>(again);
      },
      20s, 50ms);
  REQUIRE(again);
  CHECK(*again == v + 1);
}

TEST_CASE(
    "connections killed during concurrent writes lose nothing acknowledged",
    "[pg]") {
  scratch_database db;
  service_fixture f{pg_options(db)};
  constexpr int writers = 8;
  std::atomic<bool> stop{false};
  std::atomic<int> kills{0};
  std::thread killer{[&] {
    while (!stop) {
      std::this_thread::sleep_for(30ms);
      db.terminate_connections();
      ++kills;
    }
  }};
  std::vector<std::map<std::string, uint64_t>> acked(writers);
  std::vector<int> failures(writers, 0);
  std::vector<int> other_errors(writers, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      blocking_client client{f.sys, f.router};
      namespace_path target{"killed", {"w" + std::to_string(w)}};
      // At least 60 writes each, and on until the killer has struck a few
      // times (writes may outrun it on a loaded machine).
      for (int i = 0; i < 60 || (kills < 5 && i < 100000); ++i) {
        auto key = "k" + std::to_string(i);
        // Counted here, asserted on the main thread (Catch2 is not
        // thread-safe).
        if (auto v = client.put(target, key, "v"))
          acked[w][key] = *v;
        else if (is_retryable(code_of(v.error())))
          ++failures[w]; // storage_unavailable, or timeout for a lost COMMIT
        else
          ++other_errors[w];
      }
    });
  for (auto& t : threads)
    t.join();
  stop = true;
  killer.join();
  int total_failures = 0;
  int total_other = 0;
  size_t total_acked = 0;
  for (int w = 0; w < writers; ++w) {
    total_failures += failures[w];
    total_other += other_errors[w];
    total_acked += acked[w].size();
  }
  INFO("acknowledged " << total_acked << ", failed " << total_failures);
  CHECK(total_failures > 0);
  CHECK(total_other == 0);
  CHECK(total_acked > 0);
  service_fixture reader{pg_options(db)};
  for (int w = 0; w < writers; ++w) {
    namespace_path target{"killed", {"w" + std::to_string(w)}};
    for (auto& [key, version] : acked[w]) {
      auto got = must(reader.client.get(target, key));
      INFO(render(target) << " " << key);
      REQUIRE(got);
      CHECK(got->version == version);
    }
  }
}

TEST_CASE("a damaged stored row fails its namespace by name, not the service",
          "[pg]") {
  scratch_database db;
  namespace_path damaged{"acme", {"damaged"}};
  {
    service_fixture f{pg_options(db)};
    must(f.client.put(damaged, "k", "v"));
    must(f.client.erase(damaged, "k"));
    must(f.client.put(damaged, "k", "w"));
  }
  // What no constraint of statekeeper's would let in: written by a tool,
  // or by a damaged page.
  db.query(
      "DO $$ DECLARE r record; BEGIN"
      " FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint"
      " WHERE contype = 'c' AND conrelid IN ('sk_entries'::regclass,"
      " 'sk_changes'::regclass) LOOP"
      " EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);"
      " END LOOP; END $$");
  db.query("UPDATE sk_entries SET version = -5");
  db.query("UPDATE sk_changes SET kind = 77 WHERE revision = 2");
  service_fixture f{pg_options(db)};
  auto got = f.client.get(damaged, "k");
  REQUIRE_FALSE(got);
  CHECK(code(got) == error_code::internal);
  CHECK_THAT(what(got),
             Catch::Contains("version") && Catch::Contains("negative"));
  db.query("UPDATE sk_entries SET version = 3");
  auto history = f.client.get(damaged, "k");
  REQUIRE_FALSE(history);
  CHECK_THAT(what(history), Catch::Contains("unknown change kind 77"));
  // Other namespaces are served meanwhile.
  CHECK(must(f.client.put(namespace_path{"acme", {"fine"}}, "k", "v")) == 1);
}

TEST_CASE("migrations apply once and are recorded", "[pg]") {
  scratch_database db;
  { service_fixture f{pg_options(db)}; }
  { service_fixture f{pg_options(db)}; }
  CHECK(db.query("SELECT count(*) FROM sk_schema_migrations") == "4");
  CHECK(db.query("SELECT name FROM sk_schema_migrations WHERE version = 1") ==
        "001_create_entries");
  CHECK(db.query("SELECT name FROM sk_schema_migrations WHERE version = 2") ==
        "002_change_log");
  CHECK(db.query("SELECT name FROM sk_schema_migrations WHERE version = 3") ==
        "003_incarnation");
  CHECK(db.query("SELECT name FROM sk_schema_migrations WHERE version = 4") ==
        "004_cluster");
}

namespace {

/// Fails the test with the rendered error unless `err` is none.
void require_ok(const caf::error& err) {
  if (err)
    FAIL("unexpected error: " << caf::to_string(err));
}

/// Commits `batches` on a single node (no leases to fence).
caf::error commit(durable_store& db,
                  const std::vector<persist_batch>& batches) {
  std::vector<std::string> fenced;
  auto err = db.commit(batches, fenced);
  CHECK(fenced.empty());
  return err;
}

using outline_t = std::vector<std::string>;

/// "revision kind key" of every record, for comparing histories at a glance.
outline_t outline(const std::vector<change_record>& history) {
  outline_t result;
  for (auto& x : history)
    result.push_back(std::to_string(x.version) + " " + to_string(x.kind) + " " +
                     x.key);
  return result;
}

std::vector<std::string> keys_of(const std::vector<entry>& entries) {
  std::vector<std::string> result;
  for (auto& x : entries)
    result.push_back(x.key);
  return result;
}

/// Loads `name` now; fails the test on an error.
namespace_snapshot load_now(postgres_backend& pg, const std::string& name) {
  return must(pg.load(name, caf::make_timestamp()));
}

} // namespace

TEST_CASE("the backend logs every change record and loads them in order",
          "[pg]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  auto name = render(ns);
  auto expiry = caf::make_timestamp() + std::chrono::hours{1};
  // Two batches in one commit: their effects on the entries collapse ("a" is
  // put, then erased, then everything is cleared), the history keeps every
  // record.
  require_ok(commit(
      pg, {
              batch_of(name, {put_change("a", "1", 1, expiry),
                              put_change("b", binary_value, 1)}),
              batch_of("other", {put_change("x", "1", 1)}),
              batch_of(name, {removal(change_kind::erase, "a", 2),
                              removal(change_kind::clear, "", 3),
                              put_change("c", "3", 4), put_change("d", "", 4)}),
          }));
  require_ok(
      commit(pg, {
                     batch_of(name, {removal(change_kind::expire, "d", 5)}),
                 }));
  auto snap = load_now(pg, name);
  CHECK(snap.revision == 5);
  CHECK(keys_of(snap.entries) == std::vector<std::string>{"c"});
  REQUIRE(outline(snap.history) == outline_t{"1 put a", "1 put b", "2 erase a",
                                             "3 clear ", "4 put c", "4 put d",
                                             "5 expire d"});
  auto& h = snap.history;
  CHECK(h[0].value == "1");
  REQUIRE(h[0].expires_at);
  CHECK(*h[0].expires_at == expiry);
  CHECK(h[1].value == binary_value);
  CHECK_FALSE(h[1].expires_at);
  CHECK(h[2].value.empty());
  CHECK_FALSE(h[2].expires_at);
  CHECK(h[4].value == "3");
  CHECK(snap.history_floor == 0);
  // Within a revision, records keep their order; only puts carry a value.
  CHECK(db.query(
            "SELECT string_agg(revision || ':' || seq, ','"
            " ORDER BY revision, seq) FROM sk_changes WHERE ns <> 'other'") ==
        "1:0,1:1,2:0,3:0,4:0,4:1,5:0");
  CHECK(db.query("SELECT string_agg(kind::text, ',' ORDER BY revision, seq)"
                 " FROM sk_changes WHERE value IS NULL") == "2,4,3");
  CHECK(db.query("SELECT count(*) FROM sk_changes"
                 " WHERE value = '' AND kind = 1") == "1");
  // Each namespace loads its own history.
  auto other = load_now(pg, "other");
  CHECK(outline(other.history) == outline_t{"1 put x"});
  CHECK(other.history_floor == 0);
  auto none = load_now(pg, "nobody");
  CHECK(none.history.empty());
  CHECK(none.history_floor == 0);
  // The history survives reconnecting.
  postgres_backend reader{db.conninfo()};
  require_ok(reader.connect());
  CHECK(outline(load_now(reader, name).history) == outline(snap.history));
}

TEST_CASE("a hole in the stored history moves its floor past the hole",
          "[pg]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  auto name = render(ns);
  // Revision 3 never reached the database (async durability gave up on it).
  require_ok(commit(pg, {batch_of(name, {put_change("a", "1", 1)}),
                         batch_of(name, {put_change("a", "2", 2)}),
                         batch_of(name, {put_change("a", "4", 4)}),
                         batch_of(name, {put_change("b", "5", 5)})}));
  auto snap = load_now(pg, name);
  CHECK(snap.revision == 5);
  CHECK(outline(snap.history) == outline_t{"4 put a", "5 put b"});
  CHECK(snap.history_floor == 3);
  // A history that stops short of the revision is no history at all.
  db.query("DELETE FROM sk_changes WHERE revision = 5");
  auto short_of = load_now(pg, name);
  CHECK(short_of.history.empty());
  CHECK(short_of.history_floor == 5);
}

TEST_CASE("the backend deletes history only above the trimmed floor", "[pg]") {
  // An owner tells what earlier commits deleted already; rows at or below
  // it are not touched again (here: kept, as no commit deleted them).
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  require_ok(commit(
      pg, {batch_of("n", {put_change("k1", "v", 1), put_change("k2", "v", 2),
                          put_change("k3", "v", 3)})}));
  auto batch = batch_of("n", {put_change("k4", "v", 4)}, 2);
  batch.trimmed_floor = 1;
  require_ok(commit(pg, {batch}));
  CHECK(db.query("SELECT string_agg(revision::text, ',' ORDER BY revision)"
                 " FROM sk_changes WHERE ns = 'n'::bytea") == "1,3,4");
}

TEST_CASE("the backend trims the history at the batch's floor", "[pg]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  require_ok(commit(
      pg,
      {
          batch_of("n", {put_change("k1", "v", 1), put_change("k2", "v", 2),
                         put_change("k3", "v", 3)}),
          batch_of("other", {put_change("x", "v", 1), put_change("y", "v", 2)}),
      }));
  require_ok(commit(pg, {batch_of("n", {put_change("k4", "v", 4)}, 2)}));
  auto snap = load_now(pg, "n");
  CHECK(outline(snap.history) == outline_t{"3 put k3", "4 put k4"});
  CHECK(snap.history_floor == 2);
  // Trimming the history leaves the entries and other namespaces alone.
  CHECK(snap.entries.size() == 4);
  CHECK(load_now(pg, "other").history.size() == 2);
  // The highest floor of a namespace's batches counts, and records at or
  // below it are not written at all.
  require_ok(commit(pg, {
                            batch_of("n", {put_change("k5", "v", 5)}, 4),
                            batch_of("n", {put_change("k6", "v", 6)}, 3),
                        }));
  snap = load_now(pg, "n");
  CHECK(outline(snap.history) == outline_t{"5 put k5", "6 put k6"});
  CHECK(snap.history_floor == 4);
  // A floor at the revision empties the history; the floor is the revision.
  require_ok(
      commit(pg, {batch_of("n", {removal(change_kind::erase, "k1", 7)}, 7)}));
  snap = load_now(pg, "n");
  CHECK(snap.history.empty());
  CHECK(snap.revision == 7);
  CHECK(snap.history_floor == 7);
  CHECK(db.query("SELECT count(*) FROM sk_changes WHERE ns = 'n'") == "0");
  CHECK(load_now(pg, "other").history.size() == 2);
}

TEST_CASE("a commit retried after an unknown outcome logs each change once",
          "[pg]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  // A connection lost during COMMIT leaves the outcome unknown; the
  // persistence actor then commits the same batches again.
  std::vector<persist_batch> batches{
      batch_of("n", {put_change("a", "1", 1), put_change("b", "2", 1)}),
      batch_of("n", {removal(change_kind::erase, "a", 2)}),
  };
  require_ok(commit(pg, batches));
  require_ok(commit(pg, batches));
  auto snap = load_now(pg, "n");
  CHECK(outline(snap.history) == outline_t{"1 put a", "1 put b", "2 erase a"});
  CHECK(keys_of(snap.entries) == std::vector<std::string>{"b"});
}

TEST_CASE("leases pass only from dead members, and a commit under a lease "
          "that passed writes nothing",
          "[pg][cluster]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  member_info a{11, "node-a", "10.0.0.1", 7411};
  member_info b{22, "node-b", "10.0.0.2", 7411};
  require_ok(pg.join(a));
  require_ok(pg.join(b));
  auto timeout = std::chrono::seconds{3};
  CHECK(must(pg.acquire_lease("n1", a.id, timeout, caf::none)) == 1);
  CHECK(must(pg.acquire_lease("n2", a.id, timeout, caf::none)) == 1);
  // Held by a live member: refused, naming it.
  auto refused = pg.acquire_lease("n2", b.id, timeout, caf::none);
  REQUIRE_FALSE(refused);
  CHECK(code(refused) == error_code::not_owner);
  CHECK_THAT(what(refused),
             Catch::Contains("node \"node-a\" at 10.0.0.1:7411"));
  // node-a's heartbeat is old: node-b takes n2 (epoch 2).
  db.query("UPDATE sk_members SET heartbeat_at = now() - interval '1 hour'"
           " WHERE id = 11");
  CHECK(must(pg.acquire_lease("n2", b.id, timeout, caf::none)) == 2);
  auto a1 = batch_of("n1", {put_change("k", "a", 1)});
  a1.epoch = 1;
  auto a2 = batch_of("n2", {put_change("k", "a", 1)});
  a2.epoch = 1;
  std::vector<std::string> fenced;
  auto err = pg.commit({a1, a2}, fenced);
  CHECK(code_of(err) == error_code::not_owner);
  CHECK(fenced == std::vector<std::string>{"n2"});
  // All or nothing: n1's batch was not written either.
  CHECK(db.query("SELECT count(*) FROM sk_entries") == "0");
  fenced.clear();
  require_ok(pg.commit({a1}, fenced));
  auto b2 = batch_of("n2", {put_change("k", "b", 1)});
  b2.epoch = 2;
  require_ok(pg.commit({b2}, fenced));
  CHECK(fenced.empty());
  CHECK(db.query("SELECT string_agg(ns::text || '=' || epoch, ',' ORDER BY ns)"
                 " FROM sk_changes") == "\\x6e31=1,\\x6e32=2");
  // A heartbeat says how long ago the previous one was; a member that left
  // must join again.
  CHECK(must(pg.heartbeat(a.id)) >= std::chrono::minutes{59});
  CHECK(must(pg.heartbeat(a.id)) < std::chrono::minutes{1});
  require_ok(pg.leave(a.id));
  CHECK(code(pg.heartbeat(a.id)) == error_code::not_found);
  // Freed: a new epoch, and taken by anyone.
  require_ok(pg.release_lease("n2", 2));
  CHECK(db.query("SELECT epoch FROM sk_leases WHERE ns = 'n2'::bytea") == "3");
  require_ok(pg.release_lease("n2", 2)); // stale: nothing happens
  CHECK(db.query("SELECT epoch FROM sk_leases WHERE ns = 'n2'::bytea") == "3");
  CHECK(must(pg.acquire_lease("n2", a.id, timeout, caf::none)) == 4);
  CHECK(must(pg.acquire_lease("n1", b.id, timeout, caf::none)) == 2); // a left
  // A commit stuck under a lease (its node paused mid-transaction) holds
  // the lease row: taking it gives up after the member timeout, retryable,
  // instead of blocking the persistence actor.
  pqxx::connection stuck_conn{db.conninfo()};
  pqxx::work stuck{stuck_conn};
  stuck.exec("SELECT 1 FROM sk_leases WHERE ns = 'n1'::bytea FOR SHARE");
  auto blocked =
      pg.acquire_lease("n1", a.id, std::chrono::milliseconds{300}, caf::none);
  CHECK(code(blocked) == error_code::not_owner);
  CHECK_THAT(what(blocked), Catch::Contains("still committing"));
}

TEST_CASE("a node that placement does not prefer takes no lease, and "
          "names the holder or the preferred node",
          "[pg][cluster]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  member_info a{11, "node-a", "10.0.0.1", 7411};
  member_info b{22, "node-b", "10.0.0.2", 7411};
  member_info c{33, "node-c", "10.0.0.3", 7411};
  for (auto& member : {a, b, c})
    require_ok(pg.join(member));
  db.query("UPDATE sk_members SET heartbeat_at = now() - interval '1 hour'"
           " WHERE id = 33");
  auto timeout = std::chrono::seconds{3};
  // The members placement ranks: the live ones.
  auto live = must(pg.live_members(timeout));
  std::vector<uint64_t> ids;
  for (auto& member : live)
    ids.push_back(member.id);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<uint64_t>{11, 22});
  // A free lease placed on node-b: node-a takes nothing, and names node-b.
  auto deferred = pg.acquire_lease("p1", a.id, timeout, b);
  CHECK(code(deferred) == error_code::not_owner);
  CHECK(holder_of(deferred.error())->id == b.id);
  CHECK_THAT(what(deferred),
             Catch::Contains("placed on node \"node-b\" at 10.0.0.2:7411"));
  CHECK(db.query("SELECT count(*) FROM sk_leases") == "0");
  // Held by a live member: it is named, wherever placement prefers.
  CHECK(must(pg.acquire_lease("p1", b.id, timeout, caf::none)) == 1);
  auto held = pg.acquire_lease("p1", a.id, timeout, c);
  CHECK(holder_of(held.error())->id == b.id);
  // Held by a dead member: placed elsewhere, it is not taken either.
  CHECK(must(pg.acquire_lease("p2", c.id, timeout, caf::none)) == 1);
  CHECK(holder_of(pg.acquire_lease("p2", a.id, timeout, b).error())->id ==
        b.id);
  CHECK(db.query("SELECT owner FROM sk_leases WHERE ns = 'p2'::bytea") == "33");
  // A lease it holds (its owner retired, its release not in yet) it frees
  // for the node placement prefers.
  CHECK(must(pg.acquire_lease("p3", a.id, timeout, caf::none)) == 1);
  CHECK(holder_of(pg.acquire_lease("p3", a.id, timeout, b).error())->id ==
        b.id);
  CHECK(db.query("SELECT coalesce(owner, 0) || ' ' || epoch FROM sk_leases"
                 " WHERE ns = 'p3'::bytea") == "0 2");
  CHECK(must(pg.acquire_lease("p3", b.id, timeout, caf::none)) == 3);
}

TEST_CASE("a commit whose history write fails writes nothing", "[pg]") {
  scratch_database db;
  postgres_backend pg{db.conninfo()};
  require_ok(pg.connect());
  auto require_unchanged = [&] {
    auto snap = load_now(pg, "n");
    CHECK(snap.revision == 1);
    REQUIRE(snap.entries.size() == 1);
    CHECK(snap.entries[0].value == "1");
    CHECK(outline(snap.history) == outline_t{"1 put a"});
    CHECK(snap.history_floor == 0);
    auto other = load_now(pg, "other");
    CHECK(other.revision == 0);
    CHECK(other.entries.empty());
    CHECK(other.history.empty());
  };
  require_ok(commit(pg, {batch_of("n", {put_change("a", "1", 1)})}));
  db.query("CREATE FUNCTION sk_test_refuse() RETURNS trigger"
           " LANGUAGE plpgsql AS $$ BEGIN"
           " RAISE EXCEPTION 'refused by the test'; END $$");
  SECTION("inserting the change rows fails") {
    db.query("CREATE TRIGGER refuse BEFORE INSERT ON sk_changes"
             " FOR EACH ROW EXECUTE FUNCTION sk_test_refuse()");
    auto err = commit(pg, {
                              batch_of("n", {put_change("a", "2", 2),
                                             put_change("b", "2", 2)}),
                              batch_of("other", {put_change("x", "1", 1)}),
                          });
    REQUIRE(err);
    CHECK(code_of(err) == error_code::internal);
    CHECK_THAT(context_of(err), Catch::Contains("refused by the test"));
    require_unchanged();
  }
  SECTION("trimming the history fails") {
    db.query("CREATE TRIGGER refuse BEFORE DELETE ON sk_changes"
             " FOR EACH ROW EXECUTE FUNCTION sk_test_refuse()");
    auto err = commit(pg, {
                              batch_of("n", {put_change("a", "2", 2)}, 1),
                              batch_of("other", {put_change("x", "1", 1)}),
                          });
    REQUIRE(err);
    CHECK_THAT(context_of(err), Catch::Contains("refused by the test"));
    require_unchanged();
  }
  // The connection stays usable, and the same commit succeeds once the
  // database accepts it.
  db.query("DROP TRIGGER refuse ON sk_changes");
  require_ok(commit(pg, {batch_of("n", {put_change("a", "2", 2)}, 1)}));
  auto snap = load_now(pg, "n");
  CHECK(outline(snap.history) == outline_t{"2 put a"});
  CHECK(snap.history_floor == 1);
  CHECK(snap.entries.at(0).value == "2");
}

namespace {

/// Waits up to 5 s for the number of running namespace actors to be `n`.
bool active_becomes(blocking_client& client, uint64_t n) {
  return eventually([&] { return must(client.stats()).active_namespaces == n; },
                    20s);
}

} // namespace

TEST_CASE("idle namespaces are passivated and come back intact", "[pg]") {
  scratch_database db;
  auto opts = pg_options(db, durability::async);
  opts.postgres->async_delay = 1h; // only the drain can commit
  opts.sweep_interval = 50ms;
  opts.passivate_after = 150ms;
  service_fixture f{opts};
  namespace_path a{"acme", {"a"}};
  namespace_path b{"acme", {"b"}};
  auto va = must(f.client.put(a, "k", "1"));
  auto vb = must(f.client.put_many(b, {{"x", "1", {}}, {"y", "2", 1h}}));
  // Both owners started; on a slow machine the first may already have
  // been passivated by now, so count activations, not active owners.
  REQUIRE(must(f.client.stats()).activations == 2);
  REQUIRE(active_becomes(f.client, 0));
  CHECK(must(f.client.stats()).passivations == 2);
  // Async writes were committed before the owners stopped.
  CHECK(db.query("SELECT count(*) FROM sk_entries") == "3");
  auto got = must(f.client.get(a, "k"));
  REQUIRE(got);
  CHECK(got->version == va);
  CHECK(must(f.client.get(b, "y"))->expires_at);
  CHECK(must(f.client.get(b, "x"))->version == vb[0]);
  CHECK(must(f.client.put(a, "k", "2")) == va + 1);
  CHECK(must(f.client.list_namespaces(namespace_path{"acme"})).size() == 2);
}

TEST_CASE("beyond max-active-namespaces the least recently used stop", "[pg]") {
  scratch_database db;
  auto opts = pg_options(db);
  opts.max_active_namespaces = 2;
  service_fixture f{opts};
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.client.put(namespace_path{"lru", {std::to_string(i)}}, "k",
                         std::to_string(i)));
  REQUIRE(active_becomes(f.client, 2));
  for (int i = 0; i < 5; ++i) {
    auto got =
        must(f.client.get(namespace_path{"lru", {std::to_string(i)}}, "k"));
    REQUIRE(got);
    CHECK(got->value == std::to_string(i));
  }
  CHECK(active_becomes(f.client, 2));
}
