// Transactions through the public API: which branch runs, what each
// operation returns, one revision and one watch event per changed key,
// refused inputs, and version conditions racing from many clients.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/event_log.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"txn"}};

txn_compare version_is(std::string key, compare_op op, uint64_t version) {
  txn_compare c;
  c.key = std::move(key);
  c.target = compare_target::version;
  c.op = op;
  c.version = version;
  return c;
}

txn_op put(std::string key, std::string value, ttl_option ttl = {}) {
  return txn_op{txn_op_kind::put, std::move(key), std::move(value), ttl, {}};
}

txn_op erase(std::string key) {
  return txn_op{txn_op_kind::erase, std::move(key), {}, {}, {}};
}

txn_op get(std::string key) {
  return txn_op{txn_op_kind::get, std::move(key), {}, {}, {}};
}

} // namespace

TEST_CASE("a transaction runs on_success when every compare holds", "[txn]") {
  service_fixture f;
  auto& c = f.client;
  auto va = must(c.put(ns, "a", "1"));
  must(c.put(ns, "gone", "x"));
  event_log log;
  auto sub = must(c.watch(ns, {}, caf::none, log.handler()));
  auto before = must(c.txn(ns, {}, {}, {})).revision;
  auto result = must(c.txn(ns, {version_is("a", compare_op::equal, va)},
                           {put("a", "2"), put("b", "new", 1h), erase("gone"),
                            erase("never"), get("a"), get("gone")},
                           {put("failed", "x")}));
  CHECK(result.succeeded);
  CHECK(result.revision == before + 1);
  REQUIRE(result.results.size() == 6);
  CHECK(result.results[0].version == before + 1);
  CHECK(result.results[1].version == before + 1);
  CHECK(result.results[2].found);
  CHECK_FALSE(result.results[3].found);
  // A get sees the branch's earlier writes.
  REQUIRE(result.results[4].value);
  CHECK(result.results[4].value->value == "2");
  CHECK_FALSE(result.results[5].found);
  CHECK(must(c.get(ns, "b"))->expires_at);
  CHECK_FALSE(must(c.contains(ns, "failed")));
  // One revision, one event per changed key.
  REQUIRE(log.wait_revision(before + 1));
  std::vector<std::string> changed;
  for (auto& ev : log.events())
    if (ev.version == before + 1 && ev.kind != watch_event_kind::snapshot_done)
      changed.push_back(ev.key);
  CHECK(changed == std::vector<std::string>{"a", "b", "gone"});
}

TEST_CASE("a transaction runs on_failure when a compare fails", "[txn]") {
  service_fixture f;
  auto& c = f.client;
  auto va = must(c.put(ns, "a", "1"));
  auto result = must(c.txn(ns, {version_is("a", compare_op::equal, va + 1)},
                           {put("a", "2")}, {get("a"), put("seen", "yes")}));
  CHECK_FALSE(result.succeeded);
  CHECK(result.revision == va + 1);
  REQUIRE(result.results.size() == 2);
  CHECK(result.results[0].value->value == "1");
  CHECK(must(c.get(ns, "a"))->value == "1");
  CHECK(must(c.get(ns, "seen"))->value == "yes");
  // A branch that writes nothing leaves the revision as it was.
  auto read_only = must(c.txn(ns, {version_is("a", compare_op::equal, 0)},
                              {put("x", "y")}, {get("a")}));
  CHECK(read_only.revision == va + 1);
}

TEST_CASE("compares test versions, existence and values", "[txn]") {
  service_fixture f;
  auto& c = f.client;
  auto v = must(c.put(ns, "k", "m"));
  auto holds = [&](txn_compare cmp) {
    return must(c.txn(ns, {cmp}, {}, {})).succeeded;
  };
  CHECK(holds(version_is("k", compare_op::equal, v)));
  CHECK(holds(version_is("k", compare_op::not_equal, v + 1)));
  CHECK(holds(version_is("k", compare_op::less, v + 1)));
  CHECK_FALSE(holds(version_is("k", compare_op::greater, v)));
  CHECK(holds(version_is("absent", compare_op::equal, 0)));
  txn_compare exists;
  exists.key = "k";
  exists.target = compare_target::exists;
  CHECK(holds(exists));
  exists.key = "absent";
  CHECK_FALSE(holds(exists));
  exists.op = compare_op::not_equal;
  CHECK(holds(exists));
  txn_compare value;
  value.key = "k";
  value.target = compare_target::value;
  value.value = "m";
  CHECK(holds(value));
  value.op = compare_op::greater;
  value.value = "a";
  CHECK(holds(value));
  value.op = compare_op::less;
  CHECK_FALSE(holds(value));
  value.key = "absent";
  value.op = compare_op::not_equal;
  CHECK_FALSE(holds(value)); // an absent key fails every value compare
}

TEST_CASE("bad transactions are refused naming what is wrong", "[txn]") {
  service_fixture f;
  auto& c = f.client;
  auto elsewhere = put("k", "v");
  elsewhere.ns = namespace_path{"globex", {"x"}};
  auto across = c.txn(ns, {}, {elsewhere}, {});
  CHECK(code(across) == error_code::invalid_argument);
  CHECK_THAT(what(across), Catch::Contains("one namespace"));
  CHECK_THAT(what(across), Catch::Contains("globex/x"));
  auto twice = c.txn(ns, {}, {put("k", "1"), erase("k")}, {});
  CHECK(code(twice) == error_code::invalid_argument);
  CHECK_THAT(what(twice), Catch::Contains("written twice"));
  CHECK(code(c.txn(ns, {}, {}, {put("", "v")})) ==
        error_code::invalid_argument);
  CHECK(code(c.txn(ns, {}, {put("k", std::string(2000, 'x'))}, {})) ==
        error_code::limit_exceeded);
  txn_compare bad;
  bad.key = "k";
  bad.target = compare_target::exists;
  bad.op = compare_op::less;
  CHECK(code(c.txn(ns, {bad}, {}, {})) == error_code::invalid_argument);
  // Nothing of a refused transaction was applied.
  CHECK(must(c.key_count(ns)) == 0);
}

TEST_CASE("version conditions racing from many clients lose no update",
          "[txn]") {
  service_fixture f;
  must(f.client.put(ns, "counter", "0"));
  constexpr int clients = 8;
  constexpr int increments = 40;
  std::atomic<int> conflicts{0};
  auto client = [&] {
    blocking_client c{f.sys, f.router};
    for (int done = 0; done < increments;) {
      auto current = c.get(ns, "counter");
      if (!current || !*current)
        continue;
      auto next = std::to_string(std::stoi((*current)->value) + 1);
      auto result = c.txn(
          ns, {version_is("counter", compare_op::equal, (*current)->version)},
          {put("counter", next)}, {});
      if (result && result->succeeded)
        ++done;
      else
        ++conflicts;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(client);
  for (auto& t : threads)
    t.join();
  CHECK(must(f.client.get(ns, "counter"))->value ==
        std::to_string(clients * increments));
  // Failed compares changed nothing: one revision per increment.
  CHECK(must(f.client.get(ns, "counter"))->version == 1 + clients * increments);
}
