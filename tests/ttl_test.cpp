// TTL: an expired entry is absent for every operation even before a sweep;
// the timer-driven sweep removes it from the backend as an `expire` change;
// expire/persist set and clear TTLs. Real time, since time is the point.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <thread>

#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/instrumented_engine.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"ttl"}};

size_t count_kind(const std::vector<change_record>& changes, change_kind kind) {
  return std::count_if(
      changes.begin(), changes.end(),
      [kind](const change_record& c) { return c.kind == kind; });
}

} // namespace

TEST_CASE("an expired entry is absent before any sweep", "[ttl]") {
  service_fixture f; // sweep interval: 1 h, so no sweep runs here
  auto before = caf::make_timestamp();
  REQUIRE(f.client.put(ns, "short", "v", 500ms));
  REQUIRE(f.client.put(ns, "stays", "v"));
  auto live = must(f.client.get(ns, "short"));
  REQUIRE(live);
  REQUIRE(live->expires_at);
  CHECK(*live->expires_at >= before + 500ms);
  CHECK(*live->expires_at <= caf::make_timestamp() + 500ms);
  std::this_thread::sleep_for(600ms);
  CHECK_FALSE(must(f.client.get(ns, "short")));
  CHECK_FALSE(must(f.client.contains(ns, "short")));
  CHECK(must(f.client.key_count(ns)) == 1);
  CHECK(must(f.client.get_many(ns, {"short", "stays"})).size() == 1);
  CHECK(must(f.client.list_keys(ns)).keys == std::vector<std::string>{"stays"});
  CHECK(must(f.client.scan(ns)).entries.size() == 1);
  CHECK(code(f.client.update(ns, "short", "x", 1)) == error_code::not_found);
  CHECK_FALSE(must(f.client.erase(ns, "short")));
  CHECK_FALSE(must(f.client.expire(ns, "short", 1s)));
  // An expired key can be created again.
  CHECK(f.client.create(ns, "short", "new"));
  CHECK(must(f.client.get(ns, "short"))->value == "new");
}

TEST_CASE("a namespace whose entries all expired does not exist", "[ttl]") {
  service_fixture f;
  REQUIRE(f.client.put(ns, "a", "v", 300ms));
  CHECK(must(f.client.namespace_exists(ns)));
  std::this_thread::sleep_for(400ms);
  CHECK_FALSE(must(f.client.namespace_exists(ns)));
  CHECK(must(f.client.list_namespaces(namespace_path{"acme"})).empty());
}

TEST_CASE("the sweep removes expired entries from the backend", "[ttl]") {
  auto p = std::make_shared<probe>();
  auto opts = test_options();
  opts.sweep_interval = 50ms;
  service_fixture f{opts, std::make_shared<instrumented_engine>(p)};
  const auto name = render(ns);
  REQUIRE(f.client.put_many(ns, {{"a", "1", 500ms},
                                 {"b", "2", 500ms},
                                 {"c", "3", 500ms},
                                 {"keep1", "4", {}},
                                 {"keep2", "5", 1h}}));
  REQUIRE(p->record(name).stored == 5);
  REQUIRE(eventually([&] { return p->record(name).stored == 2; }));
  auto changes = p->changes(name);
  CHECK(count_kind(changes, change_kind::expire) == 3);
  CHECK(count_kind(changes, change_kind::erase) == 0);
  // The remaining entries are untouched.
  CHECK(must(f.client.key_count(ns)) == 2);
  CHECK(must(f.client.get(ns, "keep2"))->value == "5");
}

TEST_CASE("a large expiry backlog is swept in bounded batches", "[ttl]") {
  auto p = std::make_shared<probe>();
  auto opts = test_options();
  opts.sweep_interval = 50ms;
  opts.sweep_batch = 3;
  service_fixture f{opts, std::make_shared<instrumented_engine>(p)};
  const auto name = render(ns);
  std::vector<put_item> items;
  for (int i = 0; i < 10; ++i)
    items.push_back({"k" + std::to_string(i), "v", 50ms});
  REQUIRE(f.client.put_many(ns, items));
  REQUIRE(eventually([&] { return p->record(name).stored == 0; }));
  auto changes = p->changes(name);
  REQUIRE(count_kind(changes, change_kind::expire) == 10);
  // Each batch is one revision of at most sweep_batch expirations.
  std::map<uint64_t, int> per_revision;
  for (auto& c : changes)
    if (c.kind == change_kind::expire)
      ++per_revision[c.version];
  CHECK(per_revision.size() >= 4);
  for (auto& kvp : per_revision)
    CHECK(kvp.second <= 3);
}

TEST_CASE("expire sets a TTL and persist removes it", "[ttl]") {
  service_fixture f;
  CHECK_FALSE(must(f.client.expire(ns, "missing", 1s)));
  CHECK_FALSE(must(f.client.persist(ns, "missing")));
  auto v1 = must(f.client.put(ns, "k", "v"));
  REQUIRE(must(f.client.expire(ns, "k", 1s)));
  auto with_ttl = must(f.client.get(ns, "k"));
  REQUIRE(with_ttl);
  CHECK(with_ttl->expires_at);
  CHECK(with_ttl->version > v1);
  CHECK(with_ttl->value == "v");
  REQUIRE(must(f.client.persist(ns, "k")));
  auto persisted = must(f.client.get(ns, "k"));
  CHECK_FALSE(persisted->expires_at);
  CHECK(persisted->version > with_ttl->version);
  // persist on a key without TTL changes nothing.
  CHECK(must(f.client.persist(ns, "k")));
  CHECK(must(f.client.get(ns, "k"))->version == persisted->version);
  std::this_thread::sleep_for(1100ms);
  CHECK(must(f.client.contains(ns, "k")));
  REQUIRE(must(f.client.expire(ns, "k", 50ms)));
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(must(f.client.contains(ns, "k")));
}

TEST_CASE("a write without TTL replaces an existing TTL", "[ttl]") {
  service_fixture f;
  REQUIRE(f.client.put(ns, "k", "v", 50ms));
  REQUIRE(f.client.put(ns, "k", "v2"));
  std::this_thread::sleep_for(100ms);
  auto got = must(f.client.get(ns, "k"));
  REQUIRE(got);
  CHECK(got->value == "v2");
  CHECK_FALSE(got->expires_at);
}
