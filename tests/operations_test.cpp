// Every key/value operation through the public API (router + blocking
// client): results, versions, compare-and-swap, batches, limits, bad input.
#include <catch2/catch.hpp>

#include <functional>
#include <future>
#include <optional>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/owner_cache.hpp"
#include "backends/memory/memory_storage.hpp"
#include "messages/internal.hpp"
#include "messages/utf8.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"agent-a", "conv-1"}};

} // namespace

TEST_CASE("get of a missing key is no value, not an error", "[ops]") {
  service_fixture f;
  auto got = f.client.get(ns, "missing");
  REQUIRE(got);
  CHECK_FALSE(*got);
  auto has = f.client.contains(ns, "missing");
  REQUIRE(has);
  CHECK_FALSE(*has);
}

TEST_CASE("put overwrites and returns growing versions", "[ops]") {
  service_fixture f;
  auto v1 = f.client.put(ns, "k", "one");
  auto v2 = f.client.put(ns, "k", "two");
  auto other = f.client.put(ns, "other", "x");
  REQUIRE(v1);
  REQUIRE(v2);
  REQUIRE(other);
  CHECK(*v1 == 1);
  CHECK(*v2 == 2);
  CHECK(*other == 3);
  auto got = f.client.get(ns, "k");
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->key == "k");
  CHECK((*got)->value == "two");
  CHECK((*got)->version == *v2);
  CHECK_FALSE((*got)->expires_at);
  CHECK(must(f.client.contains(ns, "k")));
}

TEST_CASE("values are bytes: NUL and 0xFF round-trip intact", "[ops]") {
  service_fixture f;
  std::string value{"a\0b\xff\xfe\0", 6};
  REQUIRE(f.client.put(ns, "bin", value));
  auto got = f.client.get(ns, "bin");
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->value.size() == 6);
  CHECK((*got)->value == value);
  REQUIRE(f.client.put(ns, "empty", ""));
  CHECK(must(f.client.get(ns, "empty"))->value.empty());
}

TEST_CASE("namespaces are isolated from each other", "[ops]") {
  service_fixture f;
  namespace_path a{"acme", {"a"}};
  namespace_path b{"acme", {"b"}};
  namespace_path store_id{"plugin-1"};
  REQUIRE(f.client.put(a, "k", "in a"));
  REQUIRE(f.client.put(store_id, "k", "in store"));
  CHECK_FALSE(must(f.client.get(b, "k")));
  CHECK(must(f.client.get(a, "k"))->value == "in a");
  CHECK(must(f.client.get(store_id, "k"))->value == "in store");
  // Revisions are per namespace.
  CHECK(must(f.client.put(b, "k", "in b")) == 1);
}

TEST_CASE("create refuses a live key", "[ops]") {
  service_fixture f;
  auto v = f.client.create(ns, "k", "first");
  REQUIRE(v);
  auto again = f.client.create(ns, "k", "second");
  REQUIRE_FALSE(again);
  CHECK(code(again) == error_code::already_exists);
  CHECK_THAT(what(again), Catch::Contains("\"k\""));
  CHECK(must(f.client.get(ns, "k"))->value == "first");
  // After an erase the key can be created again.
  REQUIRE(must(f.client.erase(ns, "k")));
  CHECK(f.client.create(ns, "k", "third"));
}

TEST_CASE("update is a compare-and-swap on the version", "[ops]") {
  service_fixture f;
  auto missing = f.client.update(ns, "k", "v", 1);
  CHECK(code(missing) == error_code::not_found);
  auto v1 = must(f.client.put(ns, "k", "one"));
  auto stale = f.client.update(ns, "k", "lost", v1 + 7);
  REQUIRE_FALSE(stale);
  CHECK(code(stale) == error_code::revision_mismatch);
  CHECK_THAT(what(stale), Catch::Contains("version " + std::to_string(v1)));
  CHECK(must(f.client.get(ns, "k"))->value == "one");
  auto v2 = f.client.update(ns, "k", "two", v1);
  REQUIRE(v2);
  CHECK(*v2 > v1);
  // The old version no longer matches: a second writer with it loses.
  CHECK(code(f.client.update(ns, "k", "three", v1)) ==
        error_code::revision_mismatch);
  CHECK(must(f.client.get(ns, "k"))->value == "two");
}

TEST_CASE("erase says whether a live entry existed", "[ops]") {
  service_fixture f;
  REQUIRE(f.client.put(ns, "k", "v"));
  CHECK(must(f.client.erase(ns, "k")));
  CHECK_FALSE(must(f.client.erase(ns, "k")));
  CHECK_FALSE(must(f.client.erase(ns, "never")));
  CHECK_FALSE(must(f.client.get(ns, "k")));
}

TEST_CASE("erase_if erases only at the expected version", "[ops]") {
  service_fixture f;
  CHECK_FALSE(must(f.client.erase_if(ns, "k", 1)));
  auto v = must(f.client.put(ns, "k", "v"));
  auto wrong = f.client.erase_if(ns, "k", v + 1);
  CHECK(code(wrong) == error_code::revision_mismatch);
  CHECK(must(f.client.contains(ns, "k")));
  CHECK(must(f.client.erase_if(ns, "k", v)));
  CHECK_FALSE(must(f.client.contains(ns, "k")));
}

TEST_CASE("revision only moves on real changes", "[ops]") {
  service_fixture f;
  auto v1 = must(f.client.put(ns, "a", "1"));
  // No-ops: erasing absent keys, failed compares, empty clear elsewhere.
  REQUIRE_FALSE(must(f.client.erase(ns, "absent")));
  REQUIRE_FALSE(f.client.update(ns, "a", "x", v1 + 5));
  REQUIRE(must(f.client.erase_many(ns, {"x", "y"})) == 0);
  CHECK(must(f.client.put(ns, "b", "2")) == v1 + 1);
}

TEST_CASE("get_many returns the live entries among the keys", "[ops]") {
  service_fixture f;
  REQUIRE(f.client.put(ns, "a", "1"));
  REQUIRE(f.client.put(ns, "c", "3"));
  auto got = f.client.get_many(ns, {"c", "b", "a", "c"});
  REQUIRE(got);
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].key == "c");
  CHECK((*got)[0].value == "3");
  CHECK((*got)[1].key == "a");
  CHECK(must(f.client.get_many(ns, {})).empty());
}

TEST_CASE("put_many is one revision and all or nothing", "[ops]") {
  service_fixture f;
  std::vector<put_item> items{{"a", "1", {}}, {"b", "2", {}}, {"c", "3", {}}};
  auto versions = f.client.put_many(ns, items);
  REQUIRE(versions);
  REQUIRE(versions->size() == 3);
  CHECK((*versions)[0] == (*versions)[2]);
  CHECK(must(f.client.key_count(ns)) == 3);
  // One bad item rejects the batch: nothing of it is applied.
  std::vector<put_item> bad{{"d", "4", {}}, {"", "empty key", {}}};
  auto rejected = f.client.put_many(ns, bad);
  REQUIRE_FALSE(rejected);
  CHECK(code(rejected) == error_code::invalid_argument);
  CHECK_FALSE(must(f.client.contains(ns, "d")));
  std::vector<put_item> big{{"d", "4", {}}, {"e", std::string(2000, 'x'), {}}};
  CHECK(code(f.client.put_many(ns, big)) == error_code::limit_exceeded);
  CHECK_FALSE(must(f.client.contains(ns, "d")));
  // The revision did not move for the rejected batches.
  CHECK(must(f.client.put(ns, "z", "")) == (*versions)[0] + 1);
}

TEST_CASE("put_many and txn refuse a key written twice in one batch",
          "[ops][errors]") {
  service_fixture f;
  auto twice =
      f.client.put_many(ns, {{"a", "1", {}}, {"b", "2", {}}, {"a", "3", {}}});
  REQUIRE_FALSE(twice);
  CHECK(code(twice) == error_code::invalid_argument);
  CHECK_THAT(what(twice),
             Catch::Contains("item 2") && Catch::Contains("written twice"));
  // Nothing of the batch was applied.
  CHECK_FALSE(must(f.client.contains(ns, "a")));
  CHECK_FALSE(must(f.client.contains(ns, "b")));
  // An empty batch is allowed and changes nothing, as an empty txn is.
  CHECK(must(f.client.put_many(ns, {})).empty());
  CHECK(must(f.client.put(ns, "z", "")) == 1);
}

TEST_CASE("error messages escape input that is not printable UTF-8",
          "[ops][errors]") {
  service_fixture f;
  auto bad = f.client.put(ns, std::string{"k\xff\x01\n"}, "v");
  REQUIRE_FALSE(bad);
  CHECK(code(bad) == error_code::invalid_argument);
  auto text = f.client.render(bad.error());
  CHECK(is_valid_utf8(text));
  CHECK_THAT(text, Catch::Contains("k\\xFF\\x01\\x0A"));
  // The same holds for a namespace segment and for what the router repeats.
  namespace_path odd{"acme", {std::string{"\xc3\x28"}}};
  auto refused = f.client.get(odd, "k");
  REQUIRE_FALSE(refused);
  CHECK(is_valid_utf8(f.client.render(refused.error())));
  // Printable text, including non-ASCII letters, passes unchanged.
  CHECK(printable("caf\xc3\xa9 \\xFF") == "caf\xc3\xa9 \\xFF");
  CHECK(printable(printable("\xff")) == printable("\xff"));
}

TEST_CASE("erase_many counts the live entries it erased", "[ops]") {
  service_fixture f;
  REQUIRE(
      f.client.put_many(ns, {{"a", "1", {}}, {"b", "2", {}}, {"c", "3", {}}}));
  CHECK(must(f.client.erase_many(ns, {"a", "b", "b", "zz"})) == 2);
  CHECK(must(f.client.key_count(ns)) == 1);
  CHECK(must(f.client.contains(ns, "c")));
}

TEST_CASE("key_count, namespace_exists and clear see live entries", "[ops]") {
  service_fixture f;
  namespace_path empty{"acme", {"empty"}};
  CHECK(must(f.client.key_count(empty)) == 0);
  CHECK_FALSE(must(f.client.namespace_exists(empty)));
  REQUIRE(f.client.put(ns, "a", "1"));
  REQUIRE(f.client.put(ns, "b", "2"));
  CHECK(must(f.client.key_count(ns)) == 2);
  CHECK(must(f.client.namespace_exists(ns)));
  CHECK(must(f.client.clear(ns)) == 2);
  CHECK(must(f.client.key_count(ns)) == 0);
  CHECK_FALSE(must(f.client.namespace_exists(ns)));
  CHECK(must(f.client.clear(ns)) == 0);
  // Versions keep growing after a clear.
  CHECK(must(f.client.put(ns, "a", "again")) > 2);
}

TEST_CASE("sync succeeds in memory", "[ops]") {
  service_fixture f;
  REQUIRE(f.client.put(ns, "a", "1"));
  CHECK(f.client.sync());
}

TEST_CASE("bad input is invalid_argument naming the field", "[ops][errors]") {
  service_fixture f;
  auto empty_key = f.client.put(ns, "", "v");
  CHECK(code(empty_key) == error_code::invalid_argument);
  CHECK_THAT(what(empty_key), Catch::Contains("key is empty"));
  auto bad_utf8 = f.client.get(ns, std::string{"\xc3\x28"});
  CHECK(code(bad_utf8) == error_code::invalid_argument);
  CHECK_THAT(what(bad_utf8), Catch::Contains("UTF-8"));
  auto no_tenant = f.client.put(namespace_path{"", {"x"}}, "k", "v");
  CHECK(code(no_tenant) == error_code::invalid_argument);
  CHECK_THAT(what(no_tenant), Catch::Contains("tenant"));
  auto empty_scope = f.client.get(namespace_path{"acme", {"a", ""}}, "k");
  CHECK(code(empty_scope) == error_code::invalid_argument);
  CHECK_THAT(what(empty_scope), Catch::Contains("scope segment 1"));
  auto zero_ttl = f.client.put(ns, "k", "v", caf::timespan{0});
  CHECK(code(zero_ttl) == error_code::invalid_argument);
  CHECK_THAT(what(zero_ttl), Catch::Contains("ttl"));
  auto negative_ttl = f.client.expire(ns, "k", -1s);
  CHECK(code(negative_ttl) == error_code::invalid_argument);
  auto zero_limit = f.client.list_keys(ns, "", "", 0);
  CHECK(code(zero_limit) == error_code::invalid_argument);
  CHECK_THAT(what(zero_limit), Catch::Contains("limit"));
  // Nothing of the rejected requests was stored.
  CHECK(must(f.client.key_count(ns)) == 0);
}

TEST_CASE("limits are limit_exceeded naming the limit", "[ops][errors]") {
  service_fixture f; // max key 64, value 1024, batch 16, page 100
  auto long_key = f.client.put(ns, std::string(65, 'k'), "v");
  CHECK(code(long_key) == error_code::limit_exceeded);
  CHECK_THAT(what(long_key), Catch::Contains("max-key-bytes"));
  auto big_value = f.client.put(ns, "k", std::string(1025, 'v'));
  CHECK(code(big_value) == error_code::limit_exceeded);
  CHECK_THAT(what(big_value), Catch::Contains("max-value-bytes"));
  CHECK(f.client.put(ns, std::string(64, 'k'), std::string(1024, 'v')));
  std::vector<std::string> keys(17, "k");
  auto big_batch = f.client.get_many(ns, keys);
  CHECK(code(big_batch) == error_code::limit_exceeded);
  CHECK_THAT(what(big_batch), Catch::Contains("max-batch"));
  auto big_page = f.client.list_keys(ns, "", "", 101);
  CHECK(code(big_page) == error_code::limit_exceeded);
  CHECK_THAT(what(big_page), Catch::Contains("max-page"));
  namespace_path long_ns{"acme", {std::string(200, 's')}};
  auto ns_too_long = f.client.put(long_ns, "k", "v");
  CHECK(code(ns_too_long) == error_code::limit_exceeded);
  CHECK_THAT(what(ns_too_long), Catch::Contains("max-namespace-bytes"));
}

TEST_CASE("errors render as words with their context", "[ops][errors]") {
  service_fixture f;
  auto missing = f.client.update(ns, "nope", "v", 3);
  REQUIRE_FALSE(missing);
  CHECK(f.client.render(missing.error()) ==
        "statekeeper: not_found: key \"nope\"");
  CHECK_FALSE(is_retryable(code(missing)));
  CHECK(is_retryable(error_code::storage_unavailable));
}

TEST_CASE("invalid service options are refused by name", "[ops][errors]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = test_options();
  opts.sweep_interval = caf::timespan{0};
  auto router = spawn_service(sys, opts);
  REQUIRE_FALSE(router);
  CHECK(code(router) == error_code::invalid_argument);
  CHECK_THAT(what(router), Catch::Contains("sweep-interval"));
}

TEST_CASE("an engine passed with PostgreSQL options is refused",
          "[ops][errors]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto opts = test_options();
  opts.postgres = postgres_options{};
  // Refused before any connection is tried: no server is needed.
  opts.postgres->conninfo = "host=/nonexistent";
  auto router = spawn_service(sys, opts, make_memory_engine());
  REQUIRE_FALSE(router);
  CHECK(code(router) == error_code::invalid_argument);
  CHECK_THAT(what(router),
             Catch::Contains("engine") && Catch::Contains("PostgreSQL"));
}

TEST_CASE("every operation refuses a bad key or namespace by name",
          "[ops][errors]") {
  service_fixture f;
  auto& c = f.client;
  const std::string bad_utf8{"\xff\xfe"};
  // Each call with an empty key, then with invalid UTF-8 in the key.
  std::vector<
      std::pair<const char*, std::function<caf::error(const std::string&)>>>
      key_ops{
          {"get", [&](auto& k) { return c.get(ns, k).error(); }},
          {"contains", [&](auto& k) { return c.contains(ns, k).error(); }},
          {"put", [&](auto& k) { return c.put(ns, k, "v").error(); }},
          {"create", [&](auto& k) { return c.create(ns, k, "v").error(); }},
          {"update", [&](auto& k) { return c.update(ns, k, "v", 1).error(); }},
          {"erase", [&](auto& k) { return c.erase(ns, k).error(); }},
          {"erase_if", [&](auto& k) { return c.erase_if(ns, k, 1).error(); }},
          {"expire", [&](auto& k) { return c.expire(ns, k, 1s).error(); }},
          {"persist", [&](auto& k) { return c.persist(ns, k).error(); }},
          {"get_many",
           [&](auto& k) {
             return c.get_many(ns, {"ok", k}).error();
           }},
          {"erase_many",
           [&](auto& k) {
             return c.erase_many(ns, {"ok", k}).error();
           }},
          {"put_many",
           [&](auto& k) {
             return c.put_many(ns, {{"ok", "v", {}}, {k, "v", {}}}).error();
           }},
      };
  for (auto& [name, op] : key_ops) {
    INFO(name);
    auto empty = op("");
    CHECK(code_of(empty) == error_code::invalid_argument);
    CHECK_THAT(f.client.render(empty), Catch::Contains("key is empty"));
    auto invalid = op(bad_utf8);
    CHECK(code_of(invalid) == error_code::invalid_argument);
    CHECK_THAT(f.client.render(invalid), Catch::Contains("UTF-8"));
  }
  // Batches say which item was wrong.
  CHECK_THAT(what(c.put_many(ns, {{"ok", "v", {}}, {"", "v", {}}})),
             Catch::Contains("item 1: key is empty"));
  // Each namespace operation with an empty tenant.
  namespace_path bad{"", {"x"}};
  std::vector<std::pair<const char*, std::function<caf::error()>>> ns_ops{
      {"get", [&] { return c.get(bad, "k").error(); }},
      {"put", [&] { return c.put(bad, "k", "v").error(); }},
      {"list_keys", [&] { return c.list_keys(bad).error(); }},
      {"scan", [&] { return c.scan(bad).error(); }},
      {"key_count", [&] { return c.key_count(bad).error(); }},
      {"namespace_exists", [&] { return c.namespace_exists(bad).error(); }},
      {"clear", [&] { return c.clear(bad).error(); }},
      {"erase_many", [&] { return c.erase_many(bad, {"k"}).error(); }},
  };
  for (auto& [name, op] : ns_ops) {
    INFO(name);
    auto err = op();
    CHECK(code_of(err) == error_code::invalid_argument);
    CHECK_THAT(f.client.render(err), Catch::Contains("tenant is empty"));
  }
  // Nothing of it was stored.
  CHECK(must(c.key_count(ns)) == 0);
}

TEST_CASE("every batch and page limit is enforced", "[ops][errors]") {
  service_fixture f; // batch 16, page 100, max-ttl 100 years
  auto& c = f.client;
  std::vector<std::string> keys(17, "k");
  std::vector<put_item> items(17, put_item{"k", "v", {}});
  CHECK(code(c.put_many(ns, items)) == error_code::limit_exceeded);
  CHECK(code(c.erase_many(ns, keys)) == error_code::limit_exceeded);
  CHECK(code(c.scan(ns, "", "", 0)) == error_code::invalid_argument);
  CHECK_THAT(what(c.scan(ns, "", "", 101)), Catch::Contains("max-page"));
  auto ttl = std::chrono::hours{24 * 365 * 101};
  CHECK_THAT(what(c.put(ns, "k", "v", ttl)), Catch::Contains("max-ttl"));
  CHECK(code(c.expire(ns, "k", ttl)) == error_code::limit_exceeded);
  CHECK(must(c.key_count(ns)) == 0);
}

TEST_CASE("clear of a namespace whose entries all expired changes nothing",
          "[ops][ttl]") {
  service_fixture f;
  auto v = must(f.client.put(ns, "k", "v", 50ms));
  std::this_thread::sleep_for(100ms);
  CHECK(must(f.client.clear(ns)) == 0);
  CHECK(must(f.client.put(ns, "k2", "v")) == v + 1);
}

namespace {

/// Asks the service for the owner of `ns`, as an owner_cache does.
namespace_operations resolve_owner(service_fixture& f,
                                   const namespace_path& ns) {
  caf::scoped_actor self{f.sys};
  namespace_operations found;
  self->request(caf::actor_cast<owner_directory>(f.router), 5s,
                resolve_atom::value, ns)
      .receive([&](namespace_operations& owner) { found = owner; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  return found;
}

/// Sends `owner` passivation's first step, as the router does; returns
/// whether it may retire.
bool drain_owner(service_fixture& f, const namespace_operations& owner,
                 caf::timestamp used_after) {
  caf::scoped_actor self{f.sys};
  bool yes = false;
  self->request(caf::actor_cast<namespace_actor>(owner), 5s, drain_atom::value,
                used_after)
      .receive([&](bool x) { yes = x; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  return yes;
}

struct direct_caller_state {
  std::optional<owner_cache> owners;
  int round = 0;
  int answered = 0;
  std::vector<std::string> errors;
  std::promise<direct_caller_state*> done;
};

// Reads six namespaces in turn, four times over, one request at a time,
// through cached owners; then reports.
void next_read(caf::stateful_actor<direct_caller_state>* self) {
  auto& st = self->state;
  if (st.round == 24) {
    st.done.set_value(&st);
    return;
  }
  namespace_path ns{"direct", {"n" + std::to_string(st.round++ % 6)}};
  request_owner<uint64_t>(
      self, *st.owners, std::chrono::seconds{5},
      [self](uint64_t) {
        ++self->state.answered;
        next_read(self);
      },
      [self](caf::error& err) {
        self->state.errors.push_back(caf::to_string(err));
        next_read(self);
      },
      key_count_atom::value, ns);
}

} // namespace

TEST_CASE("an actor reaches owners directly and follows them when they are "
          "retired",
          "[operations][owners]") {
  // Two active owners at most: each read activates a namespace and retires
  // one that the caller still has in its cache.
  auto opts = test_options();
  opts.max_active_namespaces = 2;
  service_fixture f{opts};
  std::promise<direct_caller_state*> done;
  auto result = done.get_future();
  // The router as the argument: CAF 0.17 dereferences a null argument
  // tuple for functions that take none, which UBSan reports.
  auto caller = f.sys.spawn(
      [&done](caf::stateful_actor<direct_caller_state>* self,
              router_actor router) {
        self->state.owners.emplace(std::move(router));
        self->state.done = std::move(done);
        next_read(self);
        return caf::behavior{[](int) {}};
      },
      f.router);
  auto& st = *result.get();
  CHECK(st.errors.empty());
  CHECK(st.answered == 24);
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
}

TEST_CASE("a request to a cached owner that stopped goes to its successor",
          "[operations][owners]") {
  auto opts = test_options();
  opts.max_active_namespaces = 1;
  service_fixture f{opts};
  namespace_path a{"direct", {"a"}};
  caf::scoped_actor self{f.sys};
  auto first = resolve_owner(f, a);
  REQUIRE(first);
  // Activating another namespace retires the first owner (never written).
  self->monitor(first);
  must(f.client.key_count(namespace_path{"direct", {"b"}}));
  bool stopped = false;
  self->receive([&](caf::down_msg&) { stopped = true; },
                caf::after(std::chrono::seconds{5}) >> [] {});
  REQUIRE(stopped);
  // A caller still holding it: its request is answered by CAF, not
  // handled, and resent to the namespace's new owner.
  owner_cache cache{f.router};
  cache.remember(render(a), first);
  std::promise<caf::expected<uint64_t>> answer;
  auto result = answer.get_future();
  f.sys.spawn(
      [&cache, &answer](caf::event_based_actor* caller, namespace_path ns) {
        request_owner<uint64_t>(
            caller, cache, std::chrono::seconds{5},
            [&answer](uint64_t n) { answer.set_value(n); },
            [&answer](caf::error& err) { answer.set_value(std::move(err)); },
            key_count_atom::value, std::move(ns));
      },
      a);
  auto got = result.get();
  REQUIRE(got);
  CHECK(*got == 0);
  auto now = cache.find(render(a));
  CHECK(now);
  CHECK(now != first);
}

TEST_CASE("an owner that may retire handles no more requests until resumed",
          "[operations][owners]") {
  // Passivation step 1 answered yes: a caller that still has the owner
  // gets CAF's request_receiver_down, which tells it to resolve again.
  service_fixture f{test_options()};
  namespace_path ns{"direct", {"retiring"}};
  caf::scoped_actor self{f.sys};
  auto found = resolve_owner(f, ns);
  auto owner = caf::actor_cast<namespace_actor>(found);
  REQUIRE(drain_owner(f, found, caf::timestamp::max())); // never written
  caf::error refused;
  self->request(found, 5s, put_atom::value, ns, std::string{"k"},
                std::string{"v"}, ttl_option{})
      .receive([](uint64_t) { FAIL("a retiring owner took a write"); },
               [&](caf::error& err) { refused = std::move(err); });
  CHECK(owner_moved(refused));
  self->send(owner, resume_atom::value);
  uint64_t version = 0;
  self->request(found, 5s, put_atom::value, ns, std::string{"k"},
                std::string{"v"}, ttl_option{})
      .receive([&](uint64_t v) { version = v; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(version == 1);
}

TEST_CASE("an owner used directly since the idleness cutoff stays active",
          "[operations][owners]") {
  // The router only sees resolves; the owner knows its requests.
  service_fixture f{test_options()};
  namespace_path ns{"direct", {"busy"}};
  caf::scoped_actor self{f.sys};
  auto found = resolve_owner(f, ns);
  auto cutoff = caf::make_timestamp();
  self->request(found, 5s, key_count_atom::value, ns)
      .receive([](uint64_t) {},
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK_FALSE(drain_owner(f, found, cutoff));
  CHECK(drain_owner(f, found, caf::make_timestamp()));
}
