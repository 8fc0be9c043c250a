// A real statekeeper service in its own actor system, with a blocking
// client, for tests that drive the public API.
#pragma once

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <catch2/catch.hpp>

#include "actors/blocking_client.hpp"
#include "actors/service.hpp"
#include "messages/error.hpp"

namespace statekeeper::test {

/// Options for tests: small limits that tests can reach, a sweep interval
/// long enough that no sweep runs unless a test asks for one.
service_options test_options();

class test_config : public caf::actor_system_config {
public:
  test_config();
};

struct service_fixture {
  explicit service_fixture(service_options opts = test_options(),
                           std::shared_ptr<storage_engine> engine = nullptr);
  ~service_fixture();

  test_config cfg;
  caf::actor_system sys;
  router_actor router;
  blocking_client client;
};

/// Returns the value of a result that must have succeeded; fails the test
/// with the rendered error otherwise (caf::expected::value() does not check).
template <class T>
T must(caf::expected<T> result) {
  if (!result)
    FAIL("unexpected error: " << caf::to_string(result.error()));
  return std::move(*result);
}

/// Returns the statekeeper code of a failed result, for REQUIRE lines.
template <class T>
error_code code(const caf::expected<T>& result) {
  return result ? error_code{} : code_of(result.error());
}

/// Returns the error context text of a failed result ("" on success).
template <class T>
std::string what(const caf::expected<T>& result) {
  return result ? std::string{} : context_of(result.error());
}

using namespace std::chrono_literals;

} // namespace statekeeper::test
