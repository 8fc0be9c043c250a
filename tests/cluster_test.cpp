// Several nodes on one PostgreSQL database, as services in one process
// (each with its own actor system, database connections and membership):
// a namespace is placed on the node rendezvous hashing prefers, whichever
// node is asked; one node at a time owns a namespace, the others are
// refused with the owner's name; a node that stops frees its namespaces at
// once; and a node whose lease passed to another never commits for the
// namespace again (fencing), its watchers told where to resume. The same
// guarantees with separate processes, killed, paused and joining, are in
// cluster_process_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "actors/membership.hpp"
#include "actors/remote/remote.hpp"
#include "tests/support/event_log.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/intruder.hpp"
#include "tests/support/net_config.hpp"
#include "tests/support/scratch_database.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

/// The member timeout of the nodes (the default).
constexpr auto member_timeout = std::chrono::seconds{3};

/// The options of a node named `name` on `db`.
service_options node_options(const scratch_database& db,
                             const std::string& name) {
  auto opts = pg_options(db);
  cluster_options cluster;
  cluster.node_name = name;
  cluster.port = 7411;
  cluster.peer_token = "peer-secret";
  opts.cluster = cluster;
  return opts;
}

/// A node with CAF networking, published on a port of its own, and a
/// blocking client of its own.
struct cluster_node {
  cluster_node(const scratch_database& db, const std::string& name)
      : port(free_port()), sys(cfg),
        router(must(spawn_service(sys, on_port(node_options(db, name))))),
        published(must(publish_service(sys, router, listener()))),
        client(sys, router) {
    // nop
  }

  ~cluster_node() { stop_service(router); }

  service_options on_port(service_options opts) const {
    opts.cluster->port = port;
    return opts;
  }

  remote_options listener() const {
    remote_options opts;
    opts.port = port;
    opts.peer_token = "peer-secret";
    opts.tokens = {{"acme", "a-token"}, {"globex", "g-token"}};
    return opts;
  }

  uint16_t port;
  net_config cfg;
  caf::actor_system sys;
  router_actor router;
  uint16_t published;
  blocking_client client;
};

/// Once every node of `clients` sees `n` live members (they agree on
/// placement then), the first namespace placed on the node named `node`.
namespace_path placed_on_once_seen(const scratch_database& db,
                                   std::vector<blocking_client*> clients,
                                   size_t n, const std::string& node) {
  REQUIRE(eventually([&] {
    for (auto* client : clients)
      if (must(client->stats()).cluster_members != n)
        return false;
    return true;
  }));
  return placed_on(live_members_of(db, member_timeout), node);
}

} // namespace

TEST_CASE("a request reaches the namespace's owner from any node, and no "
          "further than one hop",
          "[pg][cluster]") {
  scratch_database db;
  cluster_node a{db, "node-a"};
  cluster_node b{db, "node-b"};
  auto ns = placed_on_once_seen(db, {&a.client, &b.client}, 2, "node-a");
  CHECK(must(a.client.put(ns, "k", "1")) == 1);
  // node-b's own callers: forwarded to node-a, which owns the namespace.
  CHECK(must(b.client.get(ns, "k"))->value == "1");
  CHECK(must(b.client.put(ns, "k", "2")) == 2);
  CHECK(must(a.client.get(ns, "k"))->value == "2");
  CHECK(lease_holder(db, ns) == "node-a");
  CHECK(epochs_in_history(db, render(ns)) == "1,1");
  // A watch is opened on the owner's node only (its watcher would be
  // exposed to the peers of the other): node-b names it.
  event_log log;
  auto refused_watch = b.client.watch(ns, {}, caf::none, log.handler());
  REQUIRE_FALSE(refused_watch);
  CHECK(code(refused_watch) == error_code::not_owner);
  CHECK_THAT(what(refused_watch),
             Catch::Contains("a watch is served only by the node that owns "
                             "the namespace: node \"node-a\""));
  // A remote client of node-b (as statekeeper-cli is): the same.
  net_config client_cfg;
  caf::actor_system client_sys{client_cfg};
  connect_options as_acme;
  as_acme.token = "a-token";
  auto remote = must(connect_service(client_sys, "127.0.0.1", b.port, as_acme));
  blocking_client remote_client{client_sys, remote};
  CHECK(must(remote_client.put(ns, "k", "3")) == 3);
  CHECK(must(remote_client.get(ns, "k"))->value == "3");
  // A peer session (another node's, with the peer token) is answered
  // where it lands: not_owner, naming the owner.
  connect_options as_peer;
  as_peer.token = "peer-secret";
  auto peer = must(connect_service(client_sys, "127.0.0.1", b.port, as_peer));
  blocking_client peer_client{client_sys, peer};
  auto refused = peer_client.get(ns, "k");
  REQUIRE_FALSE(refused);
  CHECK(code(refused) == error_code::not_owner);
  CHECK_THAT(what(refused), Catch::Contains("node \"node-a\" at 127.0.0.1:" +
                                            std::to_string(a.port)));
  // The peer token opens every tenant, as an operator token does.
  auto other =
      placed_on(live_members_of(db, member_timeout), "node-b", "other");
  CHECK(must(peer_client.put(other, "k", "v")) == 1);
}

TEST_CASE("placement spreads namespaces evenly over the members, and a "
          "member that joins takes only its share",
          "[cluster]") {
  std::vector<member_info> three{
      {0x1f3a, "a", "", 0}, {0x9c0de, "b", "", 0}, {0x5eed5, "c", "", 0}};
  auto four = three;
  four.push_back({0x7777, "d", "", 0});
  std::map<std::string, int> per_member;
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    auto name = "acme/agents/" + std::to_string(i);
    auto before = preferred_member(name, three);
    auto after = preferred_member(name, four);
    ++per_member[before->name];
    // Every node computes the same from the same members, in any order.
    auto reversed = three;
    std::reverse(reversed.begin(), reversed.end());
    CHECK(preferred_member(name, reversed)->id == before->id);
    if (after->id != before->id) {
      CHECK(after->name == "d");
      ++moved;
    }
  }
  for (auto& kvp : per_member) {
    INFO(kvp.first);
    CHECK(kvp.second > 850);
    CHECK(kvp.second < 1150);
  }
  // A quarter moves, all of it to the member that joined.
  CHECK(moved > 600);
  CHECK(moved < 900);
}

TEST_CASE("a namespace is placed on the node rendezvous hashing prefers, "
          "whichever node is asked",
          "[pg][cluster]") {
  scratch_database db;
  cluster_node a{db, "node-a"};
  cluster_node b{db, "node-b"};
  auto on_b = placed_on_once_seen(db, {&a.client, &b.client}, 2, "node-b");
  auto on_a = placed_on(live_members_of(db, member_timeout), "node-a");
  // Asked first, node-a names node-b, and its client goes there.
  CHECK(must(a.client.put(on_b, "k", "1")) == 1);
  CHECK(lease_holder(db, on_b) == "node-b");
  CHECK(must(b.client.put(on_a, "k", "1")) == 1);
  CHECK(lease_holder(db, on_a) == "node-a");
  CHECK(must(a.client.get(on_a, "k"))->value == "1");
  CHECK(must(b.client.get(on_b, "k"))->value == "1");
  // Nothing was handed over: each went where it is placed at once.
  CHECK(epochs_in_history(db, render(on_a)) == "1");
  CHECK(epochs_in_history(db, render(on_b)) == "1");
  CHECK(must(a.client.stats()).handovers == 0);
  CHECK(must(b.client.stats()).handovers == 0);
}

TEST_CASE("a client of one node reaches nothing through the node's sessions "
          "with the others",
          "[pg][cluster][security]") {
  scratch_database db;
  cluster_node x{db, "node-x"};
  cluster_node y{db, "node-y"};
  placed_on_once_seen(db, {&x.client, &y.client}, 2, "node-x");
  // Another tenant's secret, owned by the node placement puts it on; the
  // other forwards to it, so it holds a session with it, whose link
  // crossed the wire.
  auto x_owns =
      preferred_member(render(victim), live_members_of(db, member_timeout))
          ->name == "node-x";
  auto& owner = x_owns ? x : y;
  auto& other = x_owns ? y : x;
  CHECK(must(owner.client.put(victim, "k", "secret")) == 1);
  CHECK(must(other.client.get(victim, "k"))->value == "secret");
  // An intruder connected to the other node, without logging in, tries
  // every id.
  net_config intruder_cfg;
  caf::actor_system intruder{intruder_cfg};
  auto node = must(intruder.middleman().connect("127.0.0.1", other.port));
  auto outcome = probe_every_actor(intruder, node, 2000);
  INFO("answered: " << caf::deep_to_string(outcome.answered));
  CHECK(outcome.answered.empty());
  CHECK(must(owner.client.get(victim, "k"))->value == "secret");
  CHECK(must(owner.client.get(victim, "k"))->version == 1);
  // The other node still forwards.
  CHECK(must(other.client.get(victim, "k"))->value == "secret");
}

TEST_CASE("one node at a time owns a namespace, and the others are refused "
          "with its name",
          "[pg][cluster]") {
  scratch_database db;
  service_fixture a{node_options(db, "node-a")};
  service_fixture b{node_options(db, "node-b")};
  auto ns = placed_on_once_seen(db, {&a.client, &b.client}, 2, "node-a");
  CHECK(must(a.client.put(ns, "k", "1")) == 1);
  CHECK(lease_holder(db, ns) == "node-a");
  auto read = b.client.get(ns, "k");
  REQUIRE_FALSE(read);
  CHECK(code(read) == error_code::not_owner);
  CHECK(is_retryable(code(read)));
  CHECK_THAT(what(read), Catch::Contains("node \"node-a\" at 127.0.0.1:7411"));
  auto write = b.client.put(ns, "k", "2");
  REQUIRE_FALSE(write);
  CHECK(code(write) == error_code::not_owner);
  // Nothing of the refused write exists; the owner goes on.
  CHECK(must(a.client.get(ns, "k"))->value == "1");
  CHECK(must(a.client.put(ns, "k", "3")) == 2);
  CHECK(db.query("SELECT value FROM sk_entries WHERE key = 'k'::bytea") ==
        "\\x33");
  CHECK(epochs_in_history(db, render(ns)) == "1,1");
  // Placed on node-b, another namespace is node-b's.
  auto other = placed_on(live_members_of(db, member_timeout), "node-b");
  CHECK(must(b.client.put(other, "k", "v")) == 1);
  CHECK(lease_holder(db, other) == "node-b");
  CHECK(db.query("SELECT count(*) FROM sk_members") == "2");
}

TEST_CASE("a node that stops frees its namespaces for the others at once",
          "[pg][cluster]") {
  scratch_database db;
  service_fixture b{node_options(db, "node-b")};
  namespace_path ns;
  {
    service_fixture a{node_options(db, "node-a")};
    ns = placed_on_once_seen(db, {&a.client, &b.client}, 2, "node-a");
    for (int i = 1; i <= 5; ++i)
      must(a.client.put(ns, "k" + std::to_string(i), std::to_string(i)));
    CHECK(code(b.client.get(ns, "k1")) == error_code::not_owner);
  }
  CHECK(db.query("SELECT name FROM sk_members") == "node-b");
  // Without waiting for a member timeout: node-a left.
  for (int i = 1; i <= 5; ++i)
    CHECK(must(b.client.get(ns, "k" + std::to_string(i)))->value ==
          std::to_string(i));
  CHECK(must(b.client.put(ns, "k6", "6")) == 6);
  CHECK(lease_holder(db, ns) == "node-b");
  // Taken, and taken over: each change of owner is a new epoch.
  CHECK(db.query("SELECT epoch FROM sk_leases") == "2");
  CHECK(epochs_in_history(db, render(ns)) == "1,1,1,1,1,2");
}

TEST_CASE("the blocking client waits out a namespace between owners",
          "[pg][cluster]") {
  scratch_database db;
  std::optional<service_fixture> a;
  a.emplace(node_options(db, "node-a"));
  service_fixture b{node_options(db, "node-b")};
  auto ns = placed_on_once_seen(db, {&a->client, &b.client}, 2, "node-a");
  CHECK(must(a->client.put(ns, "k", "1")) == 1);
  // node-b cannot reach node-a (no networking here): not_owner, which its
  // blocking client sends again until node-a is gone and node-b owns it.
  auto started = std::chrono::steady_clock::now();
  auto write = std::async(std::launch::async,
                          [&] { return b.client.put(ns, "k", "2"); });
  std::this_thread::sleep_for(300ms);
  a.reset();
  CHECK(must(write.get()) == 2);
  CHECK(std::chrono::steady_clock::now() - started >= 300ms);
  CHECK(lease_holder(db, ns) == "node-b");
}

TEST_CASE("a node whose lease passed to another never commits for the "
          "namespace again, and its watchers resume on the new owner",
          "[pg][cluster]") {
  scratch_database db;
  // node-a believes itself alive for long (it heartbeats rarely), while
  // its row says it is dead: as for a node paused, or cut from the
  // database, that has not noticed yet.
  auto slow = node_options(db, "node-a");
  slow.cluster->heartbeat_interval = std::chrono::seconds{20};
  slow.cluster->member_timeout = std::chrono::seconds{60};
  service_fixture a{slow};
  service_fixture b{node_options(db, "node-b")};
  // Placed on node-b, the namespace is node-b's to take once node-a is
  // dead. node-a takes it all the same: it saw only itself at its first
  // heartbeat, or else it cannot reach node-b (no networking here).
  REQUIRE(
      eventually([&] { return must(b.client.stats()).cluster_members == 2; }));
  auto ns = placed_on(live_members_of(db, member_timeout), "node-b");
  CHECK(must(a.client.put(ns, "k", "from a")) == 1);
  event_log log;
  auto sub = must(a.client.watch(ns, {}, caf::none, log.handler()));
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  db.query("UPDATE sk_members SET heartbeat_at = now() - interval '1 hour'"
           " WHERE name = 'node-a'");
  CHECK(must(b.client.put(ns, "k", "from b")) == 2);
  CHECK(lease_holder(db, ns) == "node-b");
  // node-a still holds the namespace in memory and applies the write,
  // but its commit is refused: nothing of it is visible anywhere. (Sent
  // once: the blocking client would send it again while node-b owns the
  // namespace, which node-a cannot reach here.)
  blocking_client once{a.sys, a.router, 200ms};
  auto late = once.put(ns, "k", "late from a");
  REQUIRE_FALSE(late);
  CHECK(code(late) == error_code::not_owner);
  CHECK(must(b.client.get(ns, "k"))->value == "from b");
  CHECK(db.query("SELECT value FROM sk_entries WHERE key = 'k'::bytea") ==
        "\\x66726f6d2062");
  // node-a gave the namespace up: it names the owner now.
  auto again = once.get(ns, "k");
  CHECK(code(again) == error_code::not_owner);
  CHECK_THAT(what(again), Catch::Contains("node \"node-b\""));
  // Counted, for operators.
  auto stats_a = must(a.client.stats());
  CHECK(stats_a.leases_taken >= 1);
  CHECK(stats_a.fenced_batches == 1);
  CHECK(stats_a.leases_lost == 1);
  CHECK(must(b.client.stats()).leases_taken == 1);
  // Never two owners' commits interleaved: epochs only grow with the
  // revisions.
  CHECK(epochs_in_history(db, render(ns)) == "1,2");
  // The watcher was dropped with its cursor, and resumes on the new owner
  // without a gap.
  REQUIRE(log.wait_kind(watch_event_kind::dropped));
  auto dropped = log.events().back();
  CHECK(dropped.kind == watch_event_kind::dropped);
  CHECK(dropped.revision == 1);
  event_log resumed;
  auto sub_b =
      must(b.client.watch(ns, {}, dropped.cursor(), resumed.handler()));
  REQUIRE(resumed.wait_revision(2));
  auto events = resumed.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].key == "k");
  CHECK(events[0].value == "from b");
}

TEST_CASE("cluster options need PostgreSQL in sync durability",
          "[pg][cluster]") {
  scratch_database db;
  auto memory = test_options();
  memory.cluster = cluster_options{};
  auto err = validate(memory);
  CHECK(code_of(err) == error_code::invalid_argument);
  CHECK_THAT(context_of(err), Catch::Contains("needs the postgres backend"));
  auto async = node_options(db, "node-a");
  async.postgres->mode = durability::async;
  err = validate(async);
  CHECK(code_of(err) == error_code::invalid_argument);
  CHECK_THAT(context_of(err), Catch::Contains("durability sync"));
  auto fast = node_options(db, "node-a");
  fast.cluster->member_timeout = fast.cluster->heartbeat_interval * 2;
  CHECK_THAT(context_of(validate(fast)),
             Catch::Contains("at least three heartbeat intervals"));
}
