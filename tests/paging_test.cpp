// Paging through list_keys and scan: lexicographic order, prefixes, and no
// duplicate or missing key across pages even while keys are being added.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"paging"}};

std::vector<std::string> all_keys(blocking_client& client,
                                  const std::string& prefix, uint32_t limit) {
  std::vector<std::string> keys;
  std::string after;
  for (;;) {
    auto page = client.list_keys(ns, prefix, after, limit);
    REQUIRE(page);
    keys.insert(keys.end(), page->keys.begin(), page->keys.end());
    if (!page->more)
      return keys;
    REQUIRE_FALSE(page->keys.empty());
    after = page->keys.back();
  }
}

} // namespace

TEST_CASE("list_keys pages in byte order with a prefix", "[paging]") {
  service_fixture f;
  for (auto key : {"b", "a", "ab", "abc", "b1", "c", "B"})
    REQUIRE(f.client.put(ns, key, "v"));
  auto first = must(f.client.list_keys(ns, "", "", 3));
  CHECK(first.keys == std::vector<std::string>{"B", "a", "ab"});
  CHECK(first.more);
  auto second = must(f.client.list_keys(ns, "", "ab", 3));
  CHECK(second.keys == std::vector<std::string>{"abc", "b", "b1"});
  CHECK(second.more);
  auto last = must(f.client.list_keys(ns, "", "b1", 3));
  CHECK(last.keys == std::vector<std::string>{"c"});
  CHECK_FALSE(last.more);
  auto exact = must(f.client.list_keys(ns, "", "", 7));
  CHECK(exact.keys.size() == 7);
  CHECK_FALSE(exact.more);
  CHECK(must(f.client.list_keys(ns, "a", "", 10)).keys
        == std::vector<std::string>{"a", "ab", "abc"});
  CHECK(must(f.client.list_keys(ns, "ab", "ab", 10)).keys
        == std::vector<std::string>{"abc"});
  // `after` before the prefix starts at the prefix.
  CHECK(must(f.client.list_keys(ns, "b", "A", 10)).keys
        == std::vector<std::string>{"b", "b1"});
  CHECK(must(f.client.list_keys(ns, "zz", "", 10)).keys.empty());
}

TEST_CASE("scan pages entries like list_keys", "[paging]") {
  service_fixture f;
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.client.put(ns, "k" + std::to_string(i), std::to_string(i * i)));
  auto page = must(f.client.scan(ns, "k", "k1", 2));
  REQUIRE(page.entries.size() == 2);
  CHECK(page.entries[0].key == "k2");
  CHECK(page.entries[0].value == "4");
  CHECK(page.entries[1].key == "k3");
  CHECK(page.entries[1].version > 0);
  CHECK(page.more);
}

TEST_CASE("paging has no duplicates or gaps while keys are added",
          "[paging]") {
  service_fixture f;
  // Existing keys: even numbers. A writer adds odd ones during the walk.
  std::vector<put_item> batch;
  std::set<std::string> existing;
  for (int i = 0; i < 400; i += 2) {
    char key[8];
    snprintf(key, sizeof(key), "k%04d", i);
    existing.insert(key);
    batch.push_back({key, "v", {}});
    if (batch.size() == 16) {
      REQUIRE(f.client.put_many(ns, batch));
      batch.clear();
    }
  }
  if (!batch.empty())
    REQUIRE(f.client.put_many(ns, batch));
  std::atomic<bool> done{false};
  std::thread writer{[&] {
    blocking_client client{f.sys, f.router};
    for (int i = 1; i < 400 && !done; i += 2) {
      char key[8];
      snprintf(key, sizeof(key), "k%04d", i);
      if (!client.put(ns, key, "new"))
        return;
    }
  }};
  auto keys = all_keys(f.client, "k", 7);
  done = true;
  writer.join();
  std::set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    CHECK(seen.insert(keys[i]).second);
    if (i > 0)
      CHECK(keys[i - 1] < keys[i]);
  }
  // Every key that existed for the whole walk was listed.
  for (auto& key : existing)
    CHECK(seen.count(key) == 1);
}
