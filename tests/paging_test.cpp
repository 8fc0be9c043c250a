// Paging through list_keys and scan: lexicographic order, prefixes, and no
// duplicate or missing key across pages even while keys are being added.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"paging"}};

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
  CHECK(must(f.client.list_keys(ns, "a", "", 10)).keys ==
        std::vector<std::string>{"a", "ab", "abc"});
  CHECK(must(f.client.list_keys(ns, "ab", "ab", 10)).keys ==
        std::vector<std::string>{"abc"});
  // `after` before the prefix starts at the prefix.
  CHECK(must(f.client.list_keys(ns, "b", "A", 10)).keys ==
        std::vector<std::string>{"b", "b1"});
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

TEST_CASE("paging has no duplicates or gaps while keys are added", "[paging]") {
  service_fixture f;
  auto key_of = [](int i) {
    char key[16];
    snprintf(key, sizeof(key), "k%04d", i);
    return std::string{key};
  };
  // Existing keys: multiples of 4. Between pages, keys are added both
  // behind the cursor and ahead of it.
  std::set<std::string> existing;
  std::vector<put_item> batch;
  for (int i = 0; i < 400; i += 4) {
    existing.insert(key_of(i));
    batch.push_back({key_of(i), "v", {}});
    if (batch.size() == 16) {
      REQUIRE(f.client.put_many(ns, batch));
      batch.clear();
    }
  }
  REQUIRE(f.client.put_many(ns, batch));
  std::vector<std::string> keys;
  std::set<std::string> added_ahead;
  std::string after;
  for (int page_no = 0;; ++page_no) {
    auto page = must(f.client.list_keys(ns, "k", after, 7));
    keys.insert(keys.end(), page.keys.begin(), page.keys.end());
    if (!page.more)
      break;
    after = page.keys.back();
    int cursor = std::stoi(after.substr(1));
    // One key behind the cursor (must not appear), one ahead (must).
    if (cursor >= 1)
      REQUIRE(f.client.put(ns, key_of(cursor - 1), "behind"));
    if (cursor + 2 < 400) {
      auto ahead = key_of(cursor + 2);
      REQUIRE(f.client.put(ns, ahead, "ahead"));
      added_ahead.insert(ahead);
    }
  }
  REQUIRE(added_ahead.size() > 10);
  std::set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    CHECK(seen.insert(keys[i]).second);
    if (i > 0)
      CHECK(keys[i - 1] < keys[i]);
  }
  // Every key that existed for the whole walk, and every key added ahead of
  // the cursor, was listed.
  for (auto& key : existing)
    CHECK(seen.count(key) == 1);
  for (auto& key : added_ahead)
    CHECK(seen.count(key) == 1);
}
