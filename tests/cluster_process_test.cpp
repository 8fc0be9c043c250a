// Several nodes as separate processes of the binary, on 127.0.0.1 and one
// PostgreSQL database, driven over HTTP with curl (and statekeeper-cli):
// a namespace is served through any node; a node killed with SIGKILL under
// load from clients of the others has its namespaces served by another once
// its membership times out, with every acknowledged write; a node paused
// with SIGSTOP past its member timeout, then resumed, serves nothing stale
// and never commits again; a node that joins under load takes over the
// namespaces placed on it without losing a write; and the epochs stored
// with the history show one owner after the other, never interleaved.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actors/membership.hpp"
#include "messages/namespace_path.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_service.hpp"
#include "tests/support/net_config.hpp"
#include "tests/support/scratch_database.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::namespace_path;
using statekeeper::render;
using statekeeper::test::code_of;
using statekeeper::test::epochs_in_history;
using statekeeper::test::eventually;
using statekeeper::test::free_port;
using statekeeper::test::http_service;
using statekeeper::test::json_object;
using statekeeper::test::lease_holder;
using statekeeper::test::live_members_of;
using statekeeper::test::metric_value;
using statekeeper::test::number;
using statekeeper::test::placed_on;
using statekeeper::test::reply;
using statekeeper::test::scratch_database;
using statekeeper::test::tcp_proxy;
using statekeeper::test::temp_dir;

/// A node named `name` of the cluster on `db`, its membership timing out
/// after a second, on CAF port `port` (0: a free one), which it advertises
/// to the other nodes as `advertised` (0: `port`). The cluster's settings
/// come from a config file, as the peer token should in production (not on
/// a command line that every user of the machine can read).
http_service node(const scratch_database& db, const std::string& name,
                  uint16_t port = 0, uint16_t advertised = 0) {
  temp_dir dir;
  auto config = dir.write("node.ini", "[statekeeper.cluster]\n"
                                      "enable=true\n"
                                      "peer-token=\"peer-secret\"\n"
                                      "heartbeat-interval=200ms\n"
                                      "member-timeout=1s\n");
  std::vector<std::string> args{
      "--config-file=" + config,
      "--statekeeper.port=" + std::to_string(port != 0 ? port : free_port()),
      "--statekeeper.backend=postgres",
      "--statekeeper.postgres.conninfo=" + db.conninfo(),
      "--statekeeper.postgres.timeout=5s",
      "--statekeeper.cluster.node-name=" + name};
  if (advertised != 0)
    args.push_back("--statekeeper.cluster.port=" + std::to_string(advertised));
  return http_service{args};
}

constexpr auto member_timeout = 1s;

/// The path of key `key` of namespace `ns`.
std::string key_path(const namespace_path& ns, const std::string& key) {
  std::string escaped;
  for (char c : render(ns))
    escaped += c == '/' ? std::string{"%2F"} : std::string{c};
  return "/v1/ns/" + escaped + "/keys/" + key;
}

/// Waits until each of `nodes` sees `n` live members: they agree on
/// placement then.
void wait_for_members(std::vector<const http_service*> nodes, long n) {
  REQUIRE(eventually([&] {
    for (auto* node : nodes)
      if (metric_value(node->get("/metrics").body,
                       "statekeeper_cluster_members") != n)
        return false;
    return true;
  }));
}

/// Three nodes on a fresh database, and a namespace placed on node-a.
struct three_nodes {
  three_nodes() {
    REQUIRE_HTTP(a);
    REQUIRE_HTTP(b);
    REQUIRE_HTTP(c);
    wait_for_members({&a, &b, &c}, 3);
    ns = placed_on(live_members_of(db, member_timeout), "node-a");
  }

  std::string key_path(int i) const {
    return ::key_path(ns, "k" + std::to_string(i));
  }

  scratch_database db;
  http_service a = node(db, "node-a");
  http_service b = node(db, "node-b");
  http_service c = node(db, "node-c");
  namespace_path ns;
};

/// Whether the lease epochs of a history ("1,1,2") never go down: one
/// owner's commits after the other's, never interleaved.
bool one_owner_at_a_time(const std::string& epochs) {
  long last = 0;
  size_t at = 0;
  while (at < epochs.size()) {
    auto comma = epochs.find(',', at);
    if (comma == std::string::npos)
      comma = epochs.size();
    auto epoch = std::stol(epochs.substr(at, comma - at));
    if (epoch < last)
      return false;
    last = epoch;
    at = comma + 1;
  }
  return true;
}

/// A client of one node writing keys `prefix`0, 1, ... until told to
/// stop, to each of `spaces` in turn, remembering which writes were
/// acknowledged.
struct writer {
  writer(const http_service& node, std::string prefix,
         std::vector<namespace_path> spaces)
      : node(node), prefix(std::move(prefix)), spaces(std::move(spaces)) {
    // nop
  }

  void run(const std::atomic<bool>& stop) {
    while (!stop) {
      auto i = next++;
      auto key = prefix + std::to_string(i);
      auto path = key_path(spaces[i % spaces.size()], key);
      auto sent = std::chrono::steady_clock::now();
      auto r = node.put(path, "v-" + key);
      auto now = std::chrono::steady_clock::now();
      if (r.status == 200) {
        acknowledged.push_back(path);
        std::lock_guard<std::mutex> guard{mtx};
        successes.emplace_back(sent, now);
      } else {
        // Retryable, and said so: nothing else may come back.
        if (r.status != 503 && r.status != 504)
          unexpected.push_back(std::to_string(r.status) + " " + r.body);
        std::this_thread::sleep_for(20ms);
      }
    }
  }

  const http_service& node;
  std::string prefix;
  std::vector<namespace_path> spaces;
  size_t next = 0;
  /// The paths of the keys written, each with the value "v-" and its key.
  std::vector<std::string> acknowledged;
  std::vector<std::string> unexpected;
  /// When acknowledged writes were sent, and when they were acknowledged;
  /// read while the writer runs, so under `mtx` (the rest is read once it
  /// is done).
  std::vector<std::pair<std::chrono::steady_clock::time_point,
                        std::chrono::steady_clock::time_point>>
      successes;
  mutable std::mutex mtx;

  /// When the first write sent after `t` was acknowledged; `t` if none
  /// was.
  std::chrono::steady_clock::time_point
  first_success_after(std::chrono::steady_clock::time_point t) const {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& [sent, acknowledged] : successes)
      if (sent > t)
        return acknowledged;
    return t;
  }

  /// Whether every acknowledged write reads back through `via`.
  void check_acknowledged(const http_service& via) const {
    for (auto& path : acknowledged) {
      auto key = path.substr(path.rfind('/') + 1);
      CHECK(via.get(path).body == "v-" + key);
    }
  }
};

} // namespace

TEST_CASE_METHOD(three_nodes,
                 "a namespace written through one node is read and written "
                 "through the others",
                 "[http][pg][cluster]") {
  CHECK_STATUS(a.put(key_path(1), "from a"), 200);
  CHECK(b.get(key_path(1)).body == "from a");
  CHECK(c.get(key_path(1)).body == "from a");
  CHECK_STATUS(c.put(key_path(2), "from c"), 200);
  CHECK(a.get(key_path(2)).body == "from c");
  // statekeeper-cli, through node-b's CAF port.
  auto cli = b.cli({"get", render(ns), "k2"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == "from c\n");
  // One owner did all the commits: the node placement prefers.
  CHECK(lease_holder(db, ns) == "node-a");
  CHECK(epochs_in_history(db, render(ns)) == "1,1");
  // The members, as an operator sees them.
  auto members = c.cli({"cluster", "--json"});
  CHECK(members.exit_code == 0);
  auto listed = json_object(members.out, members.err);
  auto& all = listed.at("members").as_array();
  REQUIRE(all.size() == 3);
  CHECK(all[0].at("name").as_string() == "node-a");
  CHECK(all[0].at("live").as_bool());
  CHECK(number(all[0].at("namespaces")) == 1);
  CHECK(number(all[0].at("port")) == static_cast<uint64_t>(a.cli_port()));
  CHECK(all[1].at("name").as_string() == "node-b");
  CHECK(number(all[1].at("namespaces")) == 0);
  CHECK(all[2].at("name").as_string() == "node-c");
  auto plain = a.cli({"cluster"});
  CHECK(plain.out.rfind("node-a\t127.0.0.1:" + std::to_string(a.cli_port()) +
                            "\tlive\t1\t",
                        0) == 0);
}

TEST_CASE_METHOD(three_nodes,
                 "a killed node's namespaces serve again on another node with "
                 "every acknowledged write",
                 "[http][pg][cluster]") {
  CHECK_STATUS(a.put(key_path(0), "first"), 200);
  // Clients of node-b and node-c write to the namespace node-a owns.
  std::atomic<bool> stop{false};
  writer on_b{b, "b", {ns}};
  writer on_c{c, "c", {ns}};
  std::thread tb{[&] { on_b.run(stop); }};
  std::thread tc{[&] { on_c.run(stop); }};
  std::this_thread::sleep_for(500ms);
  a.signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  // Until both serve again, and a little longer.
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(50ms);
    if (on_b.first_success_after(killed) > killed &&
        on_c.first_success_after(killed) > killed)
      break;
  }
  std::this_thread::sleep_for(300ms);
  stop = true;
  tb.join();
  tc.join();
  for (auto* w : {&on_b, &on_c}) {
    INFO("first unexpected answer: "
         << (w->unexpected.empty() ? "" : w->unexpected.front()));
    CHECK(w->unexpected.empty());
  }
  REQUIRE(on_b.first_success_after(killed) > killed);
  REQUIRE(on_c.first_success_after(killed) > killed);
  // Measured, not asserted: about the member timeout.
  auto took = [&](const writer& w) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               w.first_success_after(killed) - killed)
        .count();
  };
  WARN("writes acknowledged before and after the kill: "
       << on_b.acknowledged.size() + on_c.acknowledged.size());
  WARN("first write acknowledged after SIGKILL, via node-b and node-c (ms): "
       << took(on_b) << ", " << took(on_c));
  for (auto* w : {&on_b, &on_c})
    w->check_acknowledged(b);
  CHECK(b.get(key_path(0)).body == "first");
  CHECK(one_owner_at_a_time(epochs_in_history(db, render(ns))));
  // node-a is listed dead, and owns nothing it could serve.
  auto members = b.cli({"cluster"});
  CHECK(members.out.find("node-a\t127.0.0.1:" + std::to_string(a.cli_port()) +
                         "\tdead\t") != std::string::npos);
}

TEST_CASE_METHOD(three_nodes,
                 "a node paused past its member timeout serves nothing stale "
                 "and never commits again",
                 "[http][pg][cluster]") {
  CHECK_STATUS(a.put(key_path(1), "a1"), 200);
  a.signal(SIGSTOP);
  // Sent while node-a is paused: it waits in node-a's socket.
  auto pending =
      std::async(std::launch::async, [&] { return a.put(key_path(1), "a2"); });
  std::this_thread::sleep_for(1500ms);
  reply taken;
  for (int i = 0; i < 100; ++i) {
    taken = b.put(key_path(1), "b1");
    if (taken.status == 200)
      break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK_STATUS(taken, 200);
  a.signal(SIGCONT);
  // Once node-a wakes up, what it was sent goes to the new owner or is
  // refused with a retryable error (503: its owner gave the namespace up
  // as it was asked), and what it answers is never its stale "a1".
  auto late = pending.get();
  INFO("late write: " << late.status << " " << late.body);
  CHECK((late.status == 200 || late.status == 503));
  for (int i = 0; i < 20; ++i) {
    auto read = a.get(key_path(1));
    INFO("read through node-a: " << read.status << " " << read.body);
    CHECK((read.status == 503 || read.body == "b1" || read.body == "a2"));
    std::this_thread::sleep_for(50ms);
  }
  // Once its heartbeat is renewed, node-a serves again: forwarded to
  // node-b, or its own once node-b handed the namespace back (placement
  // prefers node-a, live again).
  reply after;
  for (int i = 0; i < 100; ++i) {
    after = a.put(key_path(1), "a3");
    if (after.status == 200)
      break;
    CHECK(code_of(after) == "not_owner");
    std::this_thread::sleep_for(50ms);
  }
  CHECK_STATUS(after, 200);
  CHECK(b.get(key_path(1)).body == "a3");
  CHECK(db.query("SELECT convert_from(value, 'UTF8') FROM sk_entries") == "a3");
  CHECK(eventually([&] {
    return a.get(key_path(1)).body == "a3" && lease_holder(db, ns) == "node-a";
  }));
  // node-a's epoch, then node-b's, then node-a's again (after node-b's
  // release): never interleaved.
  auto epochs = epochs_in_history(db, render(ns));
  CHECK(epochs.rfind("1,2", 0) == 0);
  CHECK(one_owner_at_a_time(epochs));
}

TEST_CASE("a node that joins under load takes over the namespaces placed on "
          "it without losing a write",
          "[http][pg][cluster]") {
  scratch_database db;
  auto a = node(db, "node-a");
  auto b = node(db, "node-b");
  REQUIRE_HTTP(a);
  REQUIRE_HTTP(b);
  wait_for_members({&a, &b}, 2);
  // Enough namespaces that some are placed on the third node, whatever
  // its id: all but (2/3)^30 of the time.
  std::vector<namespace_path> spaces;
  for (int i = 0; i < 30; ++i)
    spaces.push_back(namespace_path{"acme", {"j" + std::to_string(i)}});
  // All held by node-a or node-b when node-c joins.
  for (auto& ns : spaces)
    CHECK_STATUS(a.put(key_path(ns, "before"), "v-before"), 200);
  std::atomic<bool> stop{false};
  writer on_a{a, "a", spaces};
  writer on_b{b, "b", spaces};
  std::thread ta{[&] { on_a.run(stop); }};
  std::thread tb{[&] { on_b.run(stop); }};
  std::this_thread::sleep_for(700ms);
  auto c = node(db, "node-c");
  REQUIRE_HTTP(c);
  auto joined = std::chrono::steady_clock::now();
  wait_for_members({&a, &b, &c}, 3);
  auto members = live_members_of(db, member_timeout);
  std::vector<namespace_path> on_c;
  for (auto& ns : spaces)
    if (statekeeper::preferred_member(render(ns), members)->name == "node-c")
      on_c.push_back(ns);
  // The others hand them over, and node-c takes them as they are used.
  auto all_on_c = [&] {
    for (auto& ns : on_c)
      if (lease_holder(db, ns) != "node-c")
        return false;
    return true;
  };
  CHECK(eventually(all_on_c, 15s, 50ms));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - joined)
                  .count();
  std::this_thread::sleep_for(300ms);
  stop = true;
  ta.join();
  tb.join();
  REQUIRE_FALSE(on_c.empty());
  WARN("namespaces placed on the node that joined: "
       << on_c.size() << " of " << spaces.size() << ", all its own " << took
       << " ms after it served; writes acknowledged: "
       << on_a.acknowledged.size() + on_b.acknowledged.size());
  for (auto* w : {&on_a, &on_b}) {
    INFO("first unexpected answer: "
         << (w->unexpected.empty() ? "" : w->unexpected.front()));
    CHECK(w->unexpected.empty());
    w->check_acknowledged(c);
  }
  // Each is on the node placement prefers (once used again, should a late
  // heartbeat have moved one meanwhile), and no namespace had two owners
  // at once.
  for (auto& ns : spaces) {
    auto preferred = statekeeper::preferred_member(render(ns), members)->name;
    CHECK(eventually([&] {
      return c.get(key_path(ns, "before")).body == "v-before" &&
             lease_holder(db, ns) == preferred;
    }));
    CHECK(one_owner_at_a_time(epochs_in_history(db, render(ns))));
  }
  CHECK(
      metric_value(a.get("/metrics").body, "statekeeper_handovers_total") +
          metric_value(b.get("/metrics").body, "statekeeper_handovers_total") >=
      static_cast<long>(on_c.size()));
}

TEST_CASE("a connection cut between two nodes is survived by re-routing",
          "[http][pg][cluster]") {
  scratch_database db;
  // node-a reaches node-b through a proxy only: node-b advertises it.
  auto b_port = free_port();
  tcp_proxy to_b{b_port};
  auto a = node(db, "node-a");
  auto b = node(db, "node-b", b_port, to_b.port());
  REQUIRE_HTTP(a);
  REQUIRE_HTTP(b);
  wait_for_members({&a, &b}, 2);
  auto ns = placed_on(live_members_of(db, member_timeout), "node-b");
  CHECK_STATUS(a.put(key_path(ns, "first"), "v-first"), 200);
  auto before_cut = to_b.forwarded();
  CHECK(before_cut >= 1);
  std::atomic<bool> stop{false};
  writer on_a{a, "a", {ns}};
  std::thread ta{[&] { on_a.run(stop); }};
  std::this_thread::sleep_for(300ms);
  // The connection breaks: node-a opens a new one.
  to_b.cut();
  auto cut = std::chrono::steady_clock::now();
  CHECK(eventually([&] { return on_a.first_success_after(cut) > cut; }));
  CHECK(to_b.forwarded() > before_cut);
  // Cut, and no connection for 1.5 s, as in a partition: node-b keeps its
  // namespace, and node-a's callers get retryable errors until it heals.
  to_b.refuse(true);
  to_b.cut();
  std::this_thread::sleep_for(1500ms);
  to_b.refuse(false);
  auto healed = std::chrono::steady_clock::now();
  CHECK(eventually([&] { return on_a.first_success_after(healed) > healed; }));
  std::this_thread::sleep_for(200ms);
  stop = true;
  ta.join();
  auto after = [](const writer& w, std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               w.first_success_after(t) - t)
        .count();
  };
  WARN("first write acknowledged through node-a after the cut: "
       << after(on_a, cut)
       << " ms; after the partition healed: " << after(on_a, healed) << " ms");
  INFO("first unexpected answer: "
       << (on_a.unexpected.empty() ? "" : on_a.unexpected.front()));
  CHECK(on_a.unexpected.empty());
  on_a.check_acknowledged(b);
  CHECK(b.get(key_path(ns, "first")).body == "v-first");
  // One owner throughout: node-b, under its first lease.
  CHECK(lease_holder(db, ns) == "node-b");
  auto epochs = epochs_in_history(db, render(ns));
  CHECK(epochs.find_first_not_of("1,") == std::string::npos);
}
