// Failure paths, made reachable by the instrumented engine: a write the
// backend refuses is reported and leaves no trace; a namespace actor that
// dies is respawned by the router with its data and versions intact.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/instrumented_engine.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

const namespace_path ns{"acme", {"faults"}};

} // namespace

TEST_CASE("a refused write is storage_unavailable and leaves no trace",
          "[failure]") {
  auto p = std::make_shared<probe>();
  service_fixture f{test_options(), std::make_shared<instrumented_engine>(p)};
  auto v1 = must(f.client.put(ns, "k", "old"));
  p->fail_applies = 1;
  auto failed = f.client.put(ns, "k", "new", 50ms);
  REQUIRE_FALSE(failed);
  CHECK(code(failed) == error_code::storage_unavailable);
  CHECK(is_retryable(code(failed)));
  CHECK_THAT(what(failed), Catch::Contains("injected failure"));
  auto got = must(f.client.get(ns, "k"));
  REQUIRE(got);
  CHECK(got->value == "old");
  CHECK(got->version == v1);
  CHECK_FALSE(got->expires_at);
  // The retry succeeds with the next revision: the failure consumed none.
  CHECK(must(f.client.put(ns, "k", "new")) == v1 + 1);
}

TEST_CASE("a refused batch applies nothing", "[failure]") {
  auto p = std::make_shared<probe>();
  service_fixture f{test_options(), std::make_shared<instrumented_engine>(p)};
  REQUIRE(f.client.put(ns, "a", "1"));
  p->fail_applies = 1;
  CHECK(code(f.client.put_many(ns, {{"b", "2", {}}, {"c", "3", {}}})) ==
        error_code::storage_unavailable);
  p->fail_applies = 1;
  CHECK(code(f.client.clear(ns)) == error_code::storage_unavailable);
  p->fail_applies = 1;
  CHECK(code(f.client.erase_many(ns, {"a"})) ==
        error_code::storage_unavailable);
  CHECK(must(f.client.key_count(ns)) == 1);
  CHECK(must(f.client.list_keys(ns)).keys == std::vector<std::string>{"a"});
}

TEST_CASE("a dead namespace actor is respawned with its data", "[failure]") {
  auto p = std::make_shared<probe>();
  service_fixture f{test_options(), std::make_shared<instrumented_engine>(p)};
  auto v1 = must(f.client.put(ns, "a", "kept"));
  REQUIRE(f.client.put(namespace_path{"acme", {"bystander"}}, "x", "y"));
  p->crash_applies = 1;
  // The request that kills the owner fails; it is not acknowledged.
  blocking_client short_wait{f.sys, f.router, 2s};
  REQUIRE_FALSE(short_wait.put(ns, "b", "lost"));
  // Until the router has seen the owner die, requests may still reach the
  // dead owner and fail; then the respawned owner answers.
  REQUIRE(eventually([&] { return static_cast<bool>(f.client.get(ns, "a")); }));
  auto got = must(f.client.get(ns, "a"));
  REQUIRE(got);
  CHECK(got->value == "kept");
  CHECK(got->version == v1);
  CHECK_FALSE(must(f.client.get(ns, "b")));
  CHECK(must(f.client.put(ns, "c", "after")) == v1 + 1);
  // The respawned owner is listed again, the other namespace unharmed.
  auto listed = must(f.client.list_namespaces(namespace_path{"acme"}));
  CHECK(listed.size() == 2);
  CHECK(must(f.client.get(namespace_path{"acme", {"bystander"}}, "x")));
}
