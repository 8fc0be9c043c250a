// Two actor systems over a real loopback socket: a statekeeper service
// published by one, used by the other through the same typed interface.
// Every operation, reply and error crosses the wire intact.
#include <catch2/catch.hpp>

#include <caf/io/middleman.hpp>

#include "actors/remote.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

class net_config : public test_config {
public:
  net_config() {
    load<caf::io::middleman>();
  }
};

// A service node and a client node, connected over 127.0.0.1.
struct two_nodes {
  two_nodes()
    : server_sys(server_cfg),
      router(*spawn_service(server_sys, test_options())),
      port(*publish_service(server_sys, router, 0)),
      client_sys(client_cfg),
      remote(*connect_service(client_sys, "127.0.0.1", port)),
      client(client_sys, remote) {
    // nop
  }
  ~two_nodes() {
    stop_service(router);
  }
  net_config server_cfg;
  caf::actor_system server_sys;
  router_actor router;
  uint16_t port;
  net_config client_cfg;
  caf::actor_system client_sys;
  router_actor remote;
  blocking_client client;
};

const namespace_path ns{"acme", {"agent/a", "conv:1", "50%"}};

} // namespace

TEST_CASE("every operation works across the wire", "[remote]") {
  two_nodes n;
  auto& c = n.client;
  REQUIRE(n.port > 0);
  const std::string bytes{"\0\xff\x01\xfe", 4};
  auto v1 = must(c.put(ns, "bin", bytes));
  auto got = must(c.get(ns, "bin"));
  REQUIRE(got);
  CHECK(got->value == bytes);
  CHECK(got->version == v1);
  CHECK_FALSE(must(c.get(ns, "missing")));
  CHECK(must(c.contains(ns, "bin")));
  CHECK(must(c.create(ns, "c", "1", 1h)) == v1 + 1);
  CHECK(must(c.get(ns, "c"))->expires_at);
  CHECK(must(c.update(ns, "c", "2", v1 + 1)) == v1 + 2);
  CHECK(must(c.put_many(ns, {{"d", "4", {}}, {"e", "5", 1h}})).size() == 2);
  CHECK(must(c.get_many(ns, {"d", "e", "zz"})).size() == 2);
  CHECK(must(c.list_keys(ns, "", "", 2)).more);
  CHECK(must(c.scan(ns, "d")).entries.size() == 1);
  CHECK(must(c.expire(ns, "d", 1h)));
  CHECK(must(c.persist(ns, "d")));
  CHECK(must(c.erase_if(ns, "d", must(c.get(ns, "d"))->version)));
  CHECK(must(c.erase(ns, "e")));
  CHECK(must(c.erase_many(ns, {"c", "none"})) == 1);
  CHECK(must(c.key_count(ns)) == 1);
  CHECK(must(c.namespace_exists(ns)));
  CHECK(must(c.list_namespaces(namespace_path{"acme"}))
        == std::vector<namespace_path>{ns});
  CHECK(c.sync());
  CHECK(must(c.stats()).active_namespaces == 1);
  CHECK(must(c.clear(ns)) == 1);
}

TEST_CASE("errors cross the wire and render as words", "[remote]") {
  two_nodes n;
  auto& c = n.client;
  auto v = must(c.put(ns, "k", "v"));
  auto stale = c.update(ns, "k", "x", v + 9);
  REQUIRE_FALSE(stale);
  CHECK(code(stale) == error_code::revision_mismatch);
  CHECK(c.render(stale.error())
        == "statekeeper: revision_mismatch: key \"k\" is at version "
             + std::to_string(v) + ", expected " + std::to_string(v + 9));
  CHECK(code(c.create(ns, "k", "v")) == error_code::already_exists);
  CHECK(code(c.update(ns, "none", "v", 1)) == error_code::not_found);
  CHECK(code(c.put(ns, "", "v")) == error_code::invalid_argument);
  CHECK(code(c.put(ns, "k", std::string(2000, 'x')))
        == error_code::limit_exceeded);
  CHECK(code(c.put(namespace_path{""}, "k", "v"))
        == error_code::invalid_argument);
}

TEST_CASE("connecting where no service listens fails clearly", "[remote]") {
  net_config cfg;
  caf::actor_system sys{cfg};
  // Take a free port, then close it again.
  uint16_t port;
  {
    net_config server_cfg;
    caf::actor_system server{server_cfg};
    auto router = *spawn_service(server, test_options());
    port = *publish_service(server, router, 0);
    stop_service(router);
    server.middleman().unpublish(router, port);
  }
  auto router = connect_service(sys, "127.0.0.1", port);
  REQUIRE_FALSE(router);
  CHECK(code(router) == error_code::storage_unavailable);
  CHECK_THAT(what(router), Catch::Contains("127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a client that loses the service gets errors, not a hang",
          "[remote]") {
  net_config client_cfg;
  caf::actor_system client_sys{client_cfg};
  auto server_cfg = std::make_unique<net_config>();
  auto server_sys = std::make_unique<caf::actor_system>(*server_cfg);
  auto router = *spawn_service(*server_sys, test_options());
  auto port = *publish_service(*server_sys, router, 0);
  auto remote = *connect_service(client_sys, "127.0.0.1", port);
  blocking_client client{client_sys, remote, 3s};
  REQUIRE(client.put(ns, "k", "v"));
  stop_service(router);
  server_sys.reset(); // the whole node goes away
  auto started = std::chrono::steady_clock::now();
  auto after = client.get(ns, "k");
  CHECK_FALSE(after);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}
