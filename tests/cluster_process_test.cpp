// Several nodes as separate processes of the binary, on 127.0.0.1 and one
// PostgreSQL database, driven over HTTP with curl (and statekeeper-cli):
// a namespace is served through any node; a node killed with SIGKILL under
// load from clients of the others has its namespaces served by another once
// its membership times out, with every acknowledged write; a node paused
// with SIGSTOP past its member timeout, then resumed, serves nothing stale
// and never commits again; and the epochs stored with the history show one
// owner after the other, never interleaved.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_service.hpp"
#include "tests/support/net_config.hpp"
#include "tests/support/scratch_database.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::test::code_of;
using statekeeper::test::free_port;
using statekeeper::test::http_service;
using statekeeper::test::json_object;
using statekeeper::test::number;
using statekeeper::test::reply;
using statekeeper::test::scratch_database;

/// A node named `name` of the cluster on `db`, its membership timing out
/// after a second.
http_service node(const scratch_database& db, const std::string& name) {
  return http_service{{"--statekeeper.port=" + std::to_string(free_port()),
                       "--statekeeper.cluster.peer-token=peer-secret",
                       "--statekeeper.backend=postgres",
                       "--statekeeper.postgres.conninfo=" + db.conninfo(),
                       "--statekeeper.postgres.timeout=5s",
                       "--statekeeper.cluster.enable",
                       "--statekeeper.cluster.node-name=" + name,
                       "--statekeeper.cluster.heartbeat-interval=200ms",
                       "--statekeeper.cluster.member-timeout=1s"}};
}

std::string key_path(int i) {
  return "/v1/ns/acme/keys/k" + std::to_string(i);
}

/// Three nodes on a fresh database.
struct three_nodes {
  three_nodes() {
    REQUIRE_HTTP(a);
    REQUIRE_HTTP(b);
    REQUIRE_HTTP(c);
  }

  scratch_database db;
  http_service a = node(db, "node-a");
  http_service b = node(db, "node-b");
  http_service c = node(db, "node-c");
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
/// stop, remembering which writes were acknowledged.
struct writer {
  writer(const http_service& node, std::string prefix)
      : node(node), prefix(std::move(prefix)) {
    // nop
  }

  void run(const std::atomic<bool>& stop) {
    while (!stop) {
      auto key = prefix + std::to_string(next++);
      auto r = node.put("/v1/ns/acme/keys/" + key, "v-" + key);
      auto now = std::chrono::steady_clock::now();
      if (r.status == 200) {
        acknowledged.push_back(key);
        std::lock_guard<std::mutex> guard{mtx};
        successes.push_back(now);
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
  int next = 0;
  std::vector<std::string> acknowledged;
  std::vector<std::string> unexpected;
  /// When writes were acknowledged; read while the writer runs, so under
  /// `mtx` (the rest is read once it is done).
  std::vector<std::chrono::steady_clock::time_point> successes;
  mutable std::mutex mtx;

  /// When the first write after `t` was acknowledged; `t` if none was.
  std::chrono::steady_clock::time_point
  first_success_after(std::chrono::steady_clock::time_point t) const {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto at : successes)
      if (at > t)
        return at;
    return t;
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
  auto cli = b.cli({"get", "acme", "k2"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == "from c\n");
  // One owner did all the commits: the node first asked.
  CHECK(db.query("SELECT m.name FROM sk_leases l JOIN sk_members m"
                 " ON m.id = l.owner") == "node-a");
  CHECK(epochs_in_history(db, "acme") == "1,1");
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
  writer on_b{b, "b"};
  writer on_c{c, "c"};
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
    for (auto& key : w->acknowledged)
      CHECK(b.get("/v1/ns/acme/keys/" + key).body == "v-" + key);
  CHECK(b.get(key_path(0)).body == "first");
  CHECK(one_owner_at_a_time(epochs_in_history(db, "acme")));
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
  // Once its heartbeat is renewed, node-a forwards to node-b.
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
  CHECK(db.query("SELECT m.name FROM sk_leases l JOIN sk_members m"
                 " ON m.id = l.owner") == "node-b");
  // node-a's epoch, then node-b's only.
  auto epochs = epochs_in_history(db, "acme");
  CHECK(epochs.rfind("1,2", 0) == 0);
  CHECK(one_owner_at_a_time(epochs));
}
