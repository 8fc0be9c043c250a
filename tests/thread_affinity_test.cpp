// The guarantee the actor design exists for: a backend store is never
// entered by two threads at once, under concurrent load from many client
// actors on many namespaces; and with pinned namespaces every call to one
// store comes from one OS thread. The probe records threads and overlaps.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "tests/support/fixture.hpp"
#include "tests/support/instrumented_engine.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

namespace {

constexpr int namespaces = 12;
constexpr int clients = 8;
constexpr int ops_per_client = 600;
constexpr int in_flight = 16;

// A client actor that keeps `in_flight` requests going against random
// namespaces until it has done `ops`, then reports its error count.
struct load_state {
  router_actor router;
  caf::actor done;
  int id = 0;
  int ops = 0;
  int sent = 0;
  int received = 0;
  int errors = 0;
};

using load_actor = caf::stateful_actor<load_state>;

void fire(load_actor* self);

void on_reply(load_actor* self, bool ok) {
  auto& st = self->state;
  if (!ok)
    ++st.errors;
  if (++st.received == st.ops) {
    self->send(st.done, st.errors);
    self->quit();
  } else if (st.sent < st.ops) {
    fire(self);
  }
}

void fire(load_actor* self) {
  auto& st = self->state;
  int i = st.sent++;
  namespace_path ns{"load",
                    {"ns-" + std::to_string((i * 7 + st.id) % namespaces)}};
  std::string key = "k" + std::to_string((i * 13) % 40);
  auto ok = [self](auto&&...) { on_reply(self, true); };
  auto failed = [self](caf::error&) { on_reply(self, false); };
  switch (i % 5) {
  case 0:
  case 1:
    self->request(st.router, 30s, put_atom::value, ns, key, std::string{"v"},
                  ttl_option{})
        .then([=](uint64_t) { ok(); }, failed);
    break;
  case 2:
    self->request(st.router, 30s, get_atom::value, ns, key)
        .then([=](caf::optional<entry>&) { ok(); }, failed);
    break;
  case 3:
    self->request(st.router, 30s, erase_atom::value, ns, key)
        .then([=](bool) { ok(); }, failed);
    break;
  default:
    self->request(st.router, 30s, list_keys_atom::value, ns, std::string{},
                  std::string{}, uint32_t{10})
        .then([=](key_page&) { ok(); }, failed);
  }
}

caf::behavior load_client(load_actor* self, router_actor router,
                          caf::actor done, int id) {
  self->state.router = std::move(router);
  self->state.done = std::move(done);
  self->state.id = id;
  self->state.ops = ops_per_client;
  for (int k = 0; k < in_flight; ++k)
    fire(self);
  return {[](int) {}};
}

/// Runs the load against `f` and returns the total error count.
int run_load(service_fixture& f) {
  caf::scoped_actor waiter{f.sys};
  for (int id = 0; id < clients; ++id)
    f.sys.spawn(load_client, f.router, caf::actor{waiter}, id);
  int errors = 0;
  for (int id = 0; id < clients; ++id)
    waiter->receive([&](int n) { errors += n; });
  return errors;
}

} // namespace

TEST_CASE("the probe detects a store entered by two threads", "[affinity]") {
  // Control: without an owning actor, concurrent calls are caught.
  auto p = std::make_shared<probe>();
  p->linger_us = 2000;
  instrumented_store store{"control", p};
  auto hammer = [&] {
    for (int i = 0; i < 20; ++i)
      (void)store.size();
  };
  std::thread a{hammer};
  std::thread b{hammer};
  a.join();
  b.join();
  auto rec = p->record("control");
  CHECK(rec.overlaps > 0);
  CHECK(rec.threads.size() == 2);
}

TEST_CASE("no store is ever entered concurrently under load", "[affinity]") {
  auto p = std::make_shared<probe>();
  p->linger_us = 20; // widens the window in which an overlap would show
  service_fixture f{test_options(), std::make_shared<instrumented_engine>(p)};
  REQUIRE(run_load(f) == 0);
  std::lock_guard<std::mutex> guard{p->mtx};
  REQUIRE(p->stores.size() == namespaces);
  uint64_t calls = 0;
  std::set<std::thread::id> threads;
  for (auto& kvp : p->stores) {
    INFO(kvp.first);
    CHECK(kvp.second.overlaps == 0);
    calls += kvp.second.calls;
    threads.insert(kvp.second.threads.begin(), kvp.second.threads.end());
  }
  CHECK(calls >= uint64_t{clients} * ops_per_client);
  // The stores really were called from several scheduler threads, so the
  // absence of overlaps is owed to ownership, not to a single thread.
  CHECK(threads.size() >= 2);
}

TEST_CASE("pinned namespaces call their store from one OS thread",
          "[affinity]") {
  auto p = std::make_shared<probe>();
  auto opts = test_options();
  opts.pin_namespaces = true;
  service_fixture f{opts, std::make_shared<instrumented_engine>(p)};
  REQUIRE(run_load(f) == 0);
  std::lock_guard<std::mutex> guard{p->mtx};
  REQUIRE(p->stores.size() == namespaces);
  std::set<std::thread::id> owners;
  for (auto& kvp : p->stores) {
    INFO(kvp.first);
    CHECK(kvp.second.overlaps == 0);
    REQUIRE(kvp.second.threads.size() == 1);
    CHECK(kvp.second.calls > 50);
    owners.insert(*kvp.second.threads.begin());
  }
  // Each namespace has a thread of its own.
  CHECK(owners.size() == namespaces);
}
