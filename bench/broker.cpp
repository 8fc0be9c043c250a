// Zeek Broker's data store, the CAF-based peer (Debian's Broker 1.4 links
// the same CAF 0.17), against statekeeper on the same operations, in one
// process, one after the other:
//  - one at a time, from a thread that is not an actor: Broker's blocking
//    put_unique (insert if absent) and get on a memory master, against the
//    blocking client's create (insert if absent) and get;
//  - 64 gets in flight: Broker's store proxy against a client actor with 64
//    requests in flight to the namespace's owner.
// Each side runs in an actor system of its own with CAF's defaults, as an
// embedding application's would; the first is gone before the second
// starts. Inserts use fresh keys; gets read 10,000 keys written first
// (16-byte keys, 100-byte values).
// Usage: statekeeper_broker_bench [--ops=N]   (default 20000 per figure)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <broker/broker.hh>

#include <caf/all.hpp>

#include "actors/blocking_client.hpp"
#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

constexpr int in_flight = 64;
constexpr int keys = 10000;

/// Key `i` of the inserts: 16 bytes, none of them among the gets' keys.
std::string fresh_key(int i) {
  char key[32];
  std::snprintf(key, sizeof key, "new-%012d", i);
  return key;
}

struct results {
  measured insert;
  measured get;
  measured get_64;
};

results statekeeper_side(int ops) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};
  auto router = *sk::spawn_service(sys);
  const sk::namespace_path ns{"bench", {"peer"}};
  int failed = 0;
  sk::blocking_client client{sys, router};
  for (int i = 0; i < keys; ++i)
    failed += !client.put(ns, key_of(i), bench_value());
  results r;
  r.insert = one_at_a_time(ops, [&](int i) {
    failed += !client.create(ns, fresh_key(i), bench_value());
  });
  r.get = one_at_a_time(ops, [&](int i) {
    auto found = client.get(ns, key_of(i));
    failed += !found || !*found;
  });
  auto owner = resolve_owner(sys, router, ns);
  auto op = [owner](caf::event_based_actor* self, int i,
                    std::function<void()> next) {
    self->request(owner, caf::infinite, sk::get_atom::value,
                  sk::namespace_path{"bench", {"peer"}}, key_of(i))
        .then([next](caf::optional<sk::entry>&) { next(); },
              [next](caf::error&) { next(); });
  };
  r.get_64 = run_drivers(sys, op, ops, 1, in_flight);
  sk::stop_service(router);
  if (failed > 0)
    std::fprintf(stderr, "statekeeper: %d operations failed\n", failed);
  return r;
}

results broker_side(int ops) {
  broker::broker_options options;
  options.disable_ssl = true;
  options.ignore_broker_conf = true;
  broker::endpoint ep{broker::configuration{options}};
  auto store = ep.attach_master("bench", broker::backend::memory);
  if (!store) {
    std::fprintf(stderr, "Broker: cannot attach a master: %s\n",
                 to_string(store.error()).c_str());
    std::exit(1);
  }
  int failed = 0;
  for (int i = 0; i < keys; ++i) {
    auto inserted = store->put_unique(key_of(i), bench_value());
    failed += !inserted;
  }
  results r;
  r.insert = one_at_a_time(ops, [&](int i) {
    auto inserted = store->put_unique(fresh_key(i), bench_value());
    failed += !inserted || !broker::get<bool>(*inserted);
  });
  r.get = one_at_a_time(ops, [&](int i) {
    auto found = store->get(key_of(i));
    failed += !found;
  });
  {
    broker::store::proxy proxy{*store};
    std::unordered_map<broker::request_id, clock_type::time_point> sent;
    std::vector<double> latencies;
    latencies.reserve(ops);
    int next = 0;
    auto send = [&] {
      sent.emplace(proxy.get(key_of(next)), clock_type::now());
      ++next;
    };
    auto start = clock_type::now();
    while (next < in_flight && next < ops)
      send();
    for (int done = 0; done < ops; ++done) {
      auto response = proxy.receive();
      failed += !response.answer;
      auto at = sent.find(response.id);
      if (at != sent.end()) {
        latencies.push_back(micros_since(at->second));
        sent.erase(at);
      }
      if (next < ops)
        send();
    }
    r.get_64.rate = ops / seconds_since(start);
    r.get_64.latency = summarize(std::move(latencies));
  }
  if (failed > 0)
    std::fprintf(stderr, "Broker: %d operations failed\n", failed);
  return r;
}

} // namespace

int main(int argc, char** argv) {
  int ops = 20000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--ops=", 6) == 0)
      ops = std::max(1000, std::atoi(argv[i] + 6));
  std::printf("statekeeper vs Zeek Broker's memory store, in-process, %d ops "
              "per figure, 16-byte keys, 100-byte values\n",
              ops);
  auto mine = statekeeper_side(ops);
  auto theirs = broker_side(ops);
  auto row = [](const char* what, const measured& a, const measured& b) {
    std::printf("  %-34s statekeeper %9.0f/s (p50 %6.1f us, p99 %7.1f us)  "
                "Broker %9.0f/s (p50 %6.1f us, p99 %7.1f us)  %.2fx\n",
                what, a.rate, a.latency.median, a.latency.p99, b.rate,
                b.latency.median, b.latency.p99, a.rate / b.rate);
  };
  row("insert if absent, 1 at a time", mine.insert, theirs.insert);
  row("get, 1 at a time", mine.get, theirs.get);
  row("get, 64 in flight", mine.get_64, theirs.get_64);
  print_figures({make_figure("peer_sk_insert_1", mine.insert),
                 make_figure("peer_broker_insert_1", theirs.insert),
                 make_figure("peer_sk_get_1", mine.get),
                 make_figure("peer_broker_get_1", theirs.get),
                 make_figure("peer_sk_get_64", mine.get_64),
                 make_figure("peer_broker_get_64", theirs.get_64)});
  return 0;
}
