// Two actor systems over a real loopback socket: a statekeeper service
// published by one, used by the other through the same typed interface.
// Every operation, reply and error crosses the wire intact; tokens confine
// sessions to their tenant; TLS refuses peers without a valid certificate;
// a lost service gives clear errors, not hangs.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/remote/remote.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/event_log.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/instrumented_engine.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

// Certificates made once per test process by scripts/make-test-certs.sh.
const std::string& cert_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/statekeeper-certs-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    std::string cmd = std::string{STATEKEEPER_TEST_CERTS} + " " + tmpl;
    REQUIRE(std::system(cmd.c_str()) == 0);
    return std::string{tmpl};
  }();
  return dir;
}

class net_config : public test_config {
 public:
  net_config() {
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
  }
  /// Mutual TLS with `name`.pem/.key, trusting the CA `ca`.pem.
  net_config(const std::string& name, const std::string& ca) : net_config() {
    openssl_certificate = cert_dir() + "/" + name + ".pem";
    openssl_key = cert_dir() + "/" + name + ".key";
    openssl_cafile = cert_dir() + "/" + ca + ".pem";
  }
};

remote_options any_port() {
  remote_options opts;
  opts.port = 0;
  return opts;
}

const namespace_path ns{"acme", {"agent/a", "conv:1", "50%"}};

// A service node; clients connect from their own systems.
struct service_node {
  explicit service_node(remote_options opts = any_port(),
                        std::shared_ptr<storage_engine> engine = nullptr)
      : service_node(std::make_unique<net_config>(), opts, std::move(engine)) {
    // nop
  }
  service_node(std::unique_ptr<net_config> config, remote_options opts,
               std::shared_ptr<storage_engine> engine = nullptr)
      : cfg(std::move(config)), sys(*cfg),
        router(must(spawn_service(sys, test_options(), std::move(engine)))),
        port(must(publish_service(sys, router, opts))) {
    // nop
  }
  ~service_node() { stop_service(router); }
  std::unique_ptr<net_config> cfg;
  caf::actor_system sys;
  router_actor router;
  uint16_t port;
};

struct client_node {
  explicit client_node(
      std::unique_ptr<net_config> config = std::make_unique<net_config>())
      : cfg(std::move(config)), sys(*cfg) {
    // nop
  }
  caf::expected<router_actor> connect(uint16_t port,
                                      connect_options opts = {}) {
    opts.connect_timeout = 3s;
    return connect_service(sys, "127.0.0.1", port, opts);
  }
  std::unique_ptr<net_config> cfg;
  caf::actor_system sys;
};

// A service node and a connected client, over 127.0.0.1.
struct two_nodes {
  two_nodes()
      : remote(must(client_node_.connect(server.port))),
        client(client_node_.sys, remote) {
    // nop
  }
  service_node server;
  client_node client_node_;
  router_actor remote;
  blocking_client client;
};

} // namespace

TEST_CASE("every operation works across the wire", "[remote]") {
  two_nodes n;
  auto& c = n.client;
  REQUIRE(n.server.port > 0);
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
  CHECK(must(c.list_namespaces(namespace_path{"acme"})) ==
        std::vector<namespace_path>{ns});
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
  CHECK(c.render(stale.error()) ==
        "statekeeper: revision_mismatch: key \"k\" is at version " +
            std::to_string(v) + ", expected " + std::to_string(v + 9));
  CHECK(code(c.create(ns, "k", "v")) == error_code::already_exists);
  CHECK(code(c.update(ns, "none", "v", 1)) == error_code::not_found);
  CHECK(code(c.put(ns, "", "v")) == error_code::invalid_argument);
  CHECK(code(c.put(ns, "k", std::string(2000, 'x'))) ==
        error_code::limit_exceeded);
  CHECK(code(c.put(namespace_path{""}, "k", "v")) ==
        error_code::invalid_argument);
}

TEST_CASE("connecting where no service listens fails clearly", "[remote]") {
  uint16_t port;
  {
    service_node gone;
    port = gone.port;
  }
  client_node c;
  auto router = c.connect(port);
  REQUIRE_FALSE(router);
  CHECK(code(router) == error_code::storage_unavailable);
  CHECK_THAT(what(router),
             Catch::Contains("127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a lost service fails requests at once, and a new one is reachable",
          "[remote]") {
  client_node c;
  auto server = std::make_unique<service_node>();
  auto port = server->port;
  auto remote = must(c.connect(port));
  blocking_client client{c.sys, remote, 20s};
  REQUIRE(client.put(ns, "k", "v"));
  server.reset(); // the whole node goes away
  auto started = std::chrono::steady_clock::now();
  auto after = client.get(ns, "k");
  CHECK(code(after) == error_code::storage_unavailable);
  CHECK_THAT(what(after), Catch::Contains("lost"));
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  // The service comes back on the same port; the client connects again.
  auto opts = any_port();
  opts.port = port;
  service_node again{opts};
  blocking_client fresh{c.sys, must(c.connect(port))};
  CHECK(must(fresh.put(ns, "k", "v2")) > 0);
}

TEST_CASE("a service killed mid-request gives a clear error in bounded time",
          "[remote]") {
  auto child = start_child(SLOW_SERVICE_BINARY);
  REQUIRE(child.pid > 0);
  std::string line;
  char ch;
  while (read(child.out, &ch, 1) == 1 && ch != '\n')
    line += ch;
  REQUIRE(line.rfind("port ", 0) == 0);
  auto port = static_cast<uint16_t>(std::stoi(line.substr(5)));
  client_node c;
  blocking_client client{c.sys, must(c.connect(port)), 30s};
  // The store lingers a second per call: the put is still running when the
  // process dies.
  std::thread killer{[pid = child.pid] {
    std::this_thread::sleep_for(300ms);
    kill(pid, SIGKILL);
  }};
  auto started = std::chrono::steady_clock::now();
  auto result = client.put(ns, "k", "v");
  auto took = std::chrono::steady_clock::now() - started;
  killer.join();
  waitpid(child.pid, nullptr, 0);
  close(child.out);
  CHECK(code(result) == error_code::storage_unavailable);
  CHECK_THAT(what(result),
             Catch::Contains("127.0.0.1:" + std::to_string(port)));
  CHECK(took < 10s);
  CHECK(code(client.get(ns, "k")) == error_code::storage_unavailable);
}

TEST_CASE("a client that goes away leaves the service unharmed", "[remote]") {
  service_node server;
  // The namespace's owner exists before the client comes.
  blocking_client local{server.sys, server.router};
  REQUIRE(local.put(ns, "other", "x"));
  auto running_before = server.sys.registry().running();
  {
    client_node gone;
    blocking_client client{gone.sys, must(gone.connect(server.port))};
    REQUIRE(client.put(ns, "k", "kept"));
    CHECK(server.sys.registry().running() > running_before);
  }
  // Its session ends: the service runs what it ran before.
  eventually([&] { return server.sys.registry().running() <= running_before; },
             20s);
  CHECK(server.sys.registry().running() == running_before);
  client_node next;
  blocking_client client{next.sys, must(next.connect(server.port))};
  CHECK(must(client.get(ns, "k"))->value == "kept");
}

TEST_CASE("tokens: a missing or wrong token is unauthorized", "[remote]") {
  auto opts = any_port();
  opts.tokens = {{"acme", "acme-secret"}, {"*", "operator-secret"}};
  service_node server{opts};
  client_node c;
  auto none = c.connect(server.port);
  CHECK(code(none) == error_code::unauthorized);
  connect_options wrong;
  wrong.token = "acme-secreT";
  CHECK(code(c.connect(server.port, wrong)) == error_code::unauthorized);
  // A node that skips login (a raw CAF handle) gets unauthorized for every
  // operation.
  auto raw =
      c.sys.middleman().remote_actor<router_actor>("127.0.0.1", server.port);
  REQUIRE(raw);
  blocking_client direct{c.sys, *raw};
  CHECK(code(direct.get(ns, "k")) == error_code::unauthorized);
  CHECK(code(direct.put(ns, "k", "v")) == error_code::unauthorized);
  CHECK(code(direct.list_namespaces()) == error_code::unauthorized);
  CHECK(code(direct.stats()) == error_code::unauthorized);
}

TEST_CASE("tokens: a tenant's token opens that tenant only", "[remote]") {
  auto opts = any_port();
  opts.tokens = {{"acme", "acme-secret"},
                 {"globex", "globex-secret"},
                 {"*", "operator-secret"}};
  service_node server{opts};
  client_node c;
  auto session = [&](const std::string& token) {
    connect_options o;
    o.token = token;
    return blocking_client{c.sys, must(c.connect(server.port, o))};
  };
  auto acme = session("acme-secret");
  auto globex = session("globex-secret");
  auto operator_ = session("operator-secret");
  const namespace_path theirs{"globex", {"x"}};
  REQUIRE(acme.put(ns, "k", "a"));
  REQUIRE(globex.put(theirs, "k", "g"));
  auto denied = acme.get(theirs, "k");
  CHECK(code(denied) == error_code::unauthorized);
  CHECK_THAT(what(denied), Catch::Contains("outside tenant \"acme\""));
  CHECK(code(acme.put(theirs, "k", "x")) == error_code::unauthorized);
  CHECK(code(acme.clear(theirs)) == error_code::unauthorized);
  CHECK(code(globex.erase(ns, "k")) == error_code::unauthorized);
  CHECK(code(acme.list_namespaces(namespace_path{"globex"})) ==
        error_code::unauthorized);
  // An empty prefix lists the session's own tenant.
  CHECK(must(acme.list_namespaces()) == std::vector<namespace_path>{ns});
  CHECK(code(acme.stats()) == error_code::unauthorized);
  CHECK(acme.sync());
  // Nothing of globex changed; the operator sees both tenants.
  CHECK(must(globex.get(theirs, "k"))->value == "g");
  CHECK(must(operator_.list_namespaces()).size() == 2);
  CHECK(must(operator_.stats()).active_namespaces == 2);
}

TEST_CASE("per-session limits: request size and requests in flight",
          "[remote]") {
  auto p = std::make_shared<probe>();
  auto opts = any_port();
  opts.max_request_bytes = 256;
  opts.max_in_flight = 2;
  service_node server{opts, std::make_shared<instrumented_engine>(p)};
  client_node c;
  auto remote = must(c.connect(server.port));
  blocking_client client{c.sys, remote};
  auto big = client.put(ns, "k", std::string(300, 'x'));
  CHECK(code(big) == error_code::limit_exceeded);
  CHECK_THAT(what(big), Catch::Contains("max-request-bytes"));
  CHECK(code(client.put_many(ns, {{"a", std::string(100, 'x'), {}},
                                  {"b", std::string(100, 'x'), {}},
                                  {"c", std::string(100, 'x'), {}}})) ==
        error_code::limit_exceeded);
  // Five requests at once while the store lingers: two run, three are
  // refused at once.
  p->linger_us = 200'000;
  caf::scoped_actor self{c.sys};
  for (int i = 0; i < 5; ++i)
    self->send(remote, put_atom::value, ns, "k" + std::to_string(i),
               std::string{"v"}, ttl_option{});
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 5; ++i)
    self->receive([&](uint64_t) { ++accepted; },
                  [&](caf::error& err) {
                    if (code_of(err) == error_code::limit_exceeded)
                      ++refused;
                  },
                  caf::after(10s) >> [] {});
  CHECK(accepted == 2);
  CHECK(refused == 3);
  p->linger_us = 0;
  CHECK(must(client.key_count(ns)) == 2);
}

TEST_CASE("TLS: anonymous and with certificates", "[remote]") {
  SECTION("anonymous TLS carries every operation") {
    auto opts = any_port();
    opts.tls = true;
    service_node server{opts};
    client_node c;
    connect_options tls;
    tls.tls = true;
    blocking_client client{c.sys, must(c.connect(server.port, tls))};
    auto v = must(client.put(ns, "k", std::string{"\0s", 2}));
    CHECK(must(client.get(ns, "k"))->version == v);
    // A plain client cannot talk to a TLS service.
    client_node plain;
    CHECK_FALSE(plain.connect(server.port));
  }
  SECTION("with a CA, only clients it signed get in") {
    auto opts = any_port();
    opts.tls = true;
    service_node server{std::make_unique<net_config>("server", "ca"), opts};
    connect_options tls;
    tls.tls = true;
    client_node signed_by_ca{std::make_unique<net_config>("client", "ca")};
    blocking_client client{signed_by_ca.sys,
                           must(signed_by_ca.connect(server.port, tls))};
    CHECK(must(client.put(ns, "k", "v")) > 0);
    client_node other{std::make_unique<net_config>("other-client", "ca")};
    auto refused = other.connect(server.port, tls);
    CHECK_FALSE(refused);
    client_node anonymous;
    auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(anonymous.connect(server.port, tls));
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    client_node plain;
    CHECK_FALSE(plain.connect(server.port));
  }
}

TEST_CASE("bad remote options are refused naming the field", "[remote]") {
  auto opts = any_port();
  opts.tokens = {{"acme", "same"}, {"globex", "same"}};
  CHECK_THAT(context_of(validate(opts)), Catch::Contains("twice"));
  opts.tokens = {{"acme", ""}};
  CHECK_THAT(context_of(validate(opts)), Catch::Contains("empty"));
  opts.tokens = {};
  opts.max_in_flight = 0;
  CHECK_THAT(context_of(validate(opts)),
             Catch::Contains("max-requests-in-flight"));
  net_config half;
  half.openssl_certificate = "server.pem";
  CHECK_THAT(context_of(validate_tls(half)), Catch::Contains("openssl.key"));
}

TEST_CASE("a remote watcher gets the snapshot and live changes, and its "
          "departure ends the watch",
          "[remote][watch]") {
  service_node server;
  blocking_client local{server.sys, server.router};
  must(local.put(ns, "before", "1"));
  uint64_t id = 0;
  {
    client_node c;
    blocking_client client{c.sys, must(c.connect(server.port))};
    event_log log;
    auto sub = must(client.watch(ns, {}, caf::none, log.handler()));
    id = sub.id();
    REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
    auto v = must(local.put(ns, "after", std::string{"\0bin", 4}));
    must(client.txn(ns, {}, {txn_op{txn_op_kind::erase, "before", {}, {}, {}}},
                    {}));
    REQUIRE(log.wait_revision(v + 1));
    auto events = log.events();
    REQUIRE(events.size() == 4);
    CHECK(events[0].key == "before");
    CHECK(events[1].kind == watch_event_kind::snapshot_done);
    CHECK(events[2].value == std::string{"\0bin", 4});
    CHECK(events[2].revision == v);
    CHECK(events[3].kind == watch_event_kind::erase);
  }
  // The client node is gone: its watch is removed.
  CHECK(eventually([&] { return !must(local.unwatch(ns, id)); }, 20s));
}

// Regression: with TLS, a client that went away left an error in OpenSSL's
// per-thread queue, and CAF then dropped the other clients' connections.
TEST_CASE("a client that leaves does not disturb another one", "[remote]") {
  enum class mode { plain, anonymous_tls, mutual_tls };
  for (auto m : {mode::plain, mode::anonymous_tls, mode::mutual_tls}) {
    INFO("mode " << static_cast<int>(m));
    auto config = [m](const char* name) {
      return m == mode::mutual_tls ? std::make_unique<net_config>(name, "ca")
                                   : std::make_unique<net_config>();
    };
    auto opts = any_port();
    opts.tls = m != mode::plain;
    service_node server{config("server"), opts};
    connect_options how;
    how.tls = opts.tls;
    client_node stays{config("client")};
    blocking_client a{stays.sys, must(stays.connect(server.port, how))};
    REQUIRE(a.put(ns, "a", "1"));
    auto running = server.sys.registry().running();
    for (int round = 0; round < 3; ++round) {
      client_node leaves{config("client")};
      blocking_client b{leaves.sys, must(leaves.connect(server.port, how))};
      REQUIRE(b.put(ns, "b", "1"));
    }
    // The service has seen every departure: their sessions ended.
    CHECK(eventually(
        [&] { return server.sys.registry().running() <= running; }, 20s));
    CHECK(must(a.get(ns, "a"))->value == "1");
    CHECK(must(a.put(ns, "a", "2")) > 0);
  }
}
