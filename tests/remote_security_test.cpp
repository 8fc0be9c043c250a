// The service as a hostile peer sees it. CAF 0.17 delivers a message from any
// connected peer to any actor whose handle once crossed the wire, by its
// (small, sequential) id and under a sender the peer may forge; so these
// tests address every actor id of the service's node directly, from a node
// that never logged in, while sessions of a tenant and of the operator are
// open, and check that nothing was read or changed. And: the service does
// not listen beyond this machine without client certificates unless told to.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/remote/remote.hpp"
#include "messages/session.hpp"
#include "tests/support/event_log.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/intruder.hpp"
#include "tests/support/net_config.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

remote_options with_tokens() {
  remote_options opts;
  opts.port = 0;
  opts.tokens = {{"globex", "g-token"}, {"*", "op-token"}};
  return opts;
}

// A service with tokens, a secret in the victim namespace, and a session
// of its tenant on another node watching it.
struct watched_service {
  net_config server_cfg;
  caf::actor_system server{server_cfg};
  router_actor router = must(spawn_service(server, test_options()));
  uint16_t port = must(publish_service(server, router, with_tokens()));
  blocking_client local{server, router};
  net_config tenant_cfg;
  caf::actor_system tenant_node{tenant_cfg};
  blocking_client tenant{tenant_node, connect(tenant_node, "g-token")};
  event_log log;
  watch_subscription sub = watch();

  ~watched_service() { stop_service(router); }

  /// Writes the secret and watches it from the tenant's node.
  watch_subscription watch() {
    must(local.put(victim, "k", "secret"));
    auto result = must(tenant.watch(victim, {}, caf::none, log.handler()));
    REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
    return result;
  }

  /// A session of `token` opened from `node`.
  router_actor connect(caf::actor_system& node, const std::string& token) {
    connect_options opts;
    opts.token = token;
    return must(connect_service(node, "127.0.0.1", port, opts));
  }
};

} // namespace

TEST_CASE("a peer that never logged in reaches no data through any actor id",
          "[remote][security]") {
  // A tenant's session with a remote watcher (whose events once exposed the
  // namespace actor to the network), and an operator's session.
  watched_service s;
  auto v = must(s.tenant.put(victim, "k", "secret"));
  REQUIRE(s.log.wait_revision(v));
  net_config operator_cfg;
  caf::actor_system operator_node{operator_cfg};
  blocking_client op{operator_node, s.connect(operator_node, "op-token")};
  CHECK(must(op.get(victim, "k"))->value == "secret");
  // The intruder connects without logging in and tries every id.
  net_config intruder_cfg;
  caf::actor_system intruder{intruder_cfg};
  auto node = must(intruder.middleman().connect("127.0.0.1", s.port));
  REQUIRE(every_actor_of(intruder, node, 4000).size() == 4000);
  auto outcome = probe_every_actor(intruder, node, 4000);
  INFO("answered: " << caf::deep_to_string(outcome.answered));
  CHECK(outcome.answered.empty());
  // The sessions and the gateway were reached, and said no.
  CHECK(outcome.refused > 0);
  // Nothing changed, nothing forged reached the watcher, and the sessions
  // still serve their own nodes.
  CHECK(must(s.local.get(victim, "k"))->version == v);
  CHECK(must(s.local.get(victim, "k"))->value == "secret");
  CHECK(must(op.get(victim, "k"))->value == "secret");
  auto w = must(s.tenant.put(victim, "after", "x"));
  REQUIRE(s.log.wait_revision(w));
  for (auto& ev : s.log.events())
    CHECK(ev.value != "pwned");
}

// Sends every target what only the runtime should send: exit messages
// (`kill` passes every handler), down messages about itself, and made-up
// responses to the requests a session has in flight (their ids are small
// and sequential), carrying a forged entry. Then tells `done`.
caf::behavior forger_impl(caf::event_based_actor* self,
                          std::vector<caf::actor> targets, uint64_t ids,
                          std::shared_ptr<std::promise<void>> done) {
  entry fake;
  fake.key = "k";
  fake.value = "pwned";
  fake.version = 1;
  for (auto& target : targets) {
    self->send_exit(target, caf::exit_reason::kill);
    self->send(target, caf::down_msg{target.address(), caf::sec::none});
    auto dest = caf::actor_cast<caf::abstract_actor*>(target);
    for (uint64_t id = 1; id <= ids; ++id)
      dest->enqueue(self->ctrl(), caf::make_message_id(id).response_id(),
                    caf::make_message(caf::optional<entry>{fake}),
                    self->context());
  }
  done->set_value();
  self->quit();
  return {};
}

TEST_CASE("what only the runtime may send, a peer cannot: no exit, no "
          "down, no made-up response",
          "[remote][security]") {
  watched_service s;
  // The tenant reads while the intruder forges; every read is the truth.
  std::atomic<bool> forging{true};
  std::atomic<int> reads{0};
  std::atomic<int> wrong{0};
  std::thread reader{[&] {
    while (forging || reads < 50) {
      auto got = s.tenant.get(victim, "k");
      ++reads;
      if (!got || !*got || (*got)->value != "secret")
        ++wrong;
    }
  }};
  net_config intruder_cfg;
  caf::actor_system intruder{intruder_cfg};
  auto node = must(intruder.middleman().connect("127.0.0.1", s.port));
  auto targets = every_actor_of(intruder, node, 2000);
  for (int round = 0; round < 3; ++round) {
    auto done = std::make_shared<std::promise<void>>();
    auto sent = done->get_future();
    intruder.spawn(forger_impl, targets, uint64_t{400}, done);
    sent.get();
  }
  // A request of the intruder's own, behind everything it sent.
  auto probe = std::make_shared<std::promise<probe_outcome>>();
  auto outcome = probe->get_future();
  intruder.spawn(probe_impl, std::vector<caf::actor>{targets.front()}, probe);
  outcome.get();
  forging = false;
  reader.join();
  INFO(reads << " reads during the forgery");
  CHECK(wrong == 0);
  // The session, its watch and the gateway are all still there.
  auto w = must(s.tenant.put(victim, "after", "x"));
  REQUIRE(s.log.wait_revision(w));
  net_config late_cfg;
  caf::actor_system late_node{late_cfg};
  blocking_client late{late_node, s.connect(late_node, "g-token")};
  CHECK(must(late.get(victim, "k"))->value == "secret");
}

TEST_CASE("a session serves only requests that carry its key",
          "[remote][security]") {
  net_config server_cfg;
  caf::actor_system server{server_cfg};
  auto router = must(spawn_service(server, test_options()));
  auto port = must(publish_service(server, router, with_tokens()));
  net_config client_cfg;
  caf::actor_system client{client_cfg};
  auto gateway =
      must(client.middleman().remote_actor<gateway_actor>("127.0.0.1", port));
  caf::scoped_actor self{client};
  session_actor session;
  session_key key;
  self->request(gateway, std::chrono::seconds{5}, login_atom::value,
                std::string{"g-token"})
      .receive(
          [&](session_actor& s, session_key k) {
            session = std::move(s);
            key = k;
          },
          [&](caf::error& err) { FAIL(client.render(err)); });
  // Two logins, two keys.
  self->request(gateway, std::chrono::seconds{5}, login_atom::value,
                std::string{"g-token"})
      .receive([&](session_actor&,
                   session_key other) { CHECK_FALSE(same_key(other, key)); },
               [&](caf::error& err) { FAIL(client.render(err)); });
  auto wrong = key;
  wrong.lo ^= 1;
  caf::error refused;
  self->request(session, std::chrono::seconds{5}, wrong, put_atom::value,
                victim, std::string{"k"}, std::string{"v"}, ttl_option{})
      .receive([&](uint64_t) { FAIL("a wrong key was served"); },
               [&](caf::error& err) { refused = err; });
  CHECK(code_of(refused) == error_code::unauthorized);
  CHECK_THAT(context_of(refused), Catch::Contains("key"));
  uint64_t version = 0;
  self->request(session, std::chrono::seconds{5}, key, put_atom::value, victim,
                std::string{"k"}, std::string{"v"}, ttl_option{})
      .receive([&](uint64_t v) { version = v; },
               [&](caf::error& err) { FAIL(client.render(err)); });
  CHECK(version == 1);
  stop_service(router);
}

TEST_CASE("listening beyond loopback needs client certificates unless "
          "allowed as insecure",
          "[remote][security]") {
  net_config cfg;
  caf::actor_system sys{cfg};
  auto router = must(spawn_service(sys, test_options()));
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.8.9.10"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("localhost"));
  CHECK_FALSE(is_loopback("0.0.0.0"));
  CHECK_FALSE(is_loopback("::"));
  CHECK_FALSE(is_loopback("10.1.2.3"));
  CHECK_FALSE(is_loopback("example.org"));
  remote_options opts;
  opts.port = 0;
  opts.address = "0.0.0.0";
  auto refused = publish_service(sys, router, opts);
  CHECK(code(refused) == error_code::invalid_argument);
  CHECK_THAT(what(refused), Catch::Contains("insecure-no-client-auth"));
  CHECK(exposed_without_client_auth(cfg, opts));
  // Anonymous TLS authenticates nobody: refused as well.
  opts.tls = true;
  CHECK(exposed_without_client_auth(cfg, opts));
  opts.tls = false;
  opts.insecure_no_client_auth = true;
  auto port = must(publish_service(sys, router, opts));
  // Reached over loopback, as every test here is.
  net_config client_cfg;
  caf::actor_system client_sys{client_cfg};
  blocking_client client{client_sys,
                         must(connect_service(client_sys, "127.0.0.1", port))};
  CHECK(must(client.put(victim, "k", "v")) == 1);
  stop_service(router);
}
