// What the benchmarks share: client actors that each keep a number of
// requests in flight until they have made their share of the operations
// and time each one, the workload (50/50 put/get over 10,000 keys of 16
// bytes, 100-byte values), the plain-actor floor, and the `figure` lines
// scripts/bench.sh reads.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "messages/interfaces.hpp"

namespace statekeeper::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Median and 99th percentile of a set of latencies (microseconds).
struct latency_summary {
  double median = 0;
  double p99 = 0;
};

/// What one run measured: operations per second, and the latency of each
/// operation from its request to its reply.
struct measured {
  double rate = 0;
  latency_summary latency;
};

/// The workload's values: 100 bytes.
constexpr size_t value_bytes = 100;

inline const std::string& bench_value() {
  static const std::string value(value_bytes, 'v');
  return value;
}

/// The key of request `i`: 10,000 distinct keys of 16 bytes.
inline std::string key_of(int i) {
  char key[17];
  std::snprintf(key, sizeof key, "key-%012d", i % 10000);
  return key;
}

/// The key of request `i` of a 50/50 mix: a put (even `i`) and the get
/// after it (odd `i`) share a key, so every get finds a value.
inline std::string key_of_request(int i) {
  return key_of(i / 2);
}

inline double micros_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - start)
      .count();
}

inline latency_summary summarize(std::vector<double> latencies) {
  if (latencies.empty())
    return {};
  std::sort(latencies.begin(), latencies.end());
  return {latencies[latencies.size() / 2],
          latencies[latencies.size() * 99 / 100]};
}

/// The same of several sets (one per client thread or actor) together.
inline latency_summary
summarize(const std::vector<std::vector<double>>& latencies) {
  std::vector<double> all;
  for (auto& xs : latencies)
    all.insert(all.end(), xs.begin(), xs.end());
  return summarize(std::move(all));
}

/// Runs `op(i)` for i in [0, ops) one at a time and times each.
template <class Op> measured one_at_a_time(int ops, Op op) {
  std::vector<double> latencies;
  latencies.reserve(ops);
  auto start = clock_type::now();
  for (int i = 0; i < ops; ++i) {
    auto sent = clock_type::now();
    op(i);
    latencies.push_back(micros_since(sent));
  }
  measured result;
  result.rate = ops / seconds_since(start);
  result.latency = summarize(std::move(latencies));
  return result;
}

/// Issues request number `i` from `self` and calls `next` once it is
/// answered (successfully or not).
using request_fn =
    std::function<void(caf::event_based_actor*, int, std::function<void()>)>;

struct driver_state {
  request_fn op;
  caf::actor done;
  /// Owned by run_drivers, written only by this driver until it is done.
  std::vector<double>* latencies = nullptr;
  int ops = 0;
  int sent = 0;
  int received = 0;
};

using driver_actor = caf::stateful_actor<driver_state>;

inline void drive(driver_actor* self);

inline void driven(driver_actor* self) {
  auto& st = self->state;
  if (++st.received == st.ops) {
    self->send(st.done, true);
    self->quit();
  } else if (st.sent < st.ops) {
    drive(self);
  }
}

inline void drive(driver_actor* self) {
  auto i = self->state.sent++;
  auto sent = clock_type::now();
  self->state.op(self, i, [self, sent] {
    self->state.latencies->push_back(micros_since(sent));
    driven(self);
  });
}

inline caf::behavior driver(driver_actor* self, request_fn op, caf::actor done,
                            std::vector<double>* latencies, int ops,
                            int in_flight) {
  self->state.op = std::move(op);
  self->state.done = std::move(done);
  self->state.latencies = latencies;
  self->state.latencies->reserve(ops);
  self->state.ops = ops;
  for (int k = 0; k < in_flight && k < ops; ++k)
    drive(self);
  return {[](int) {}};
}

/// Runs `clients` drivers sharing `ops` operations, each with `in_flight`
/// requests outstanding.
inline measured run_drivers(caf::actor_system& sys, request_fn op, int ops,
                            int clients, int in_flight) {
  caf::scoped_actor waiter{sys};
  std::vector<std::vector<double>> latencies(clients);
  auto start = clock_type::now();
  for (int c = 0; c < clients; ++c)
    sys.spawn(driver, op, caf::actor{waiter}, &latencies[c], ops / clients,
              in_flight);
  for (int c = 0; c < clients; ++c)
    waiter->receive([](bool) {});
  measured result;
  result.rate = double(ops / clients) * clients / seconds_since(start);
  result.latency = summarize(latencies);
  return result;
}

using map_put = caf::atom_constant<caf::atom("map_put")>;
using map_get = caf::atom_constant<caf::atom("map_get")>;

/// The floor of any actor design: a plain actor owning an unordered_map;
/// `(map_put, key, value)` answers true, `(map_get, key)` the value (empty
/// if absent).
inline caf::behavior map_owner(
    caf::stateful_actor<std::unordered_map<std::string, std::string>>* self) {
  return {
      [self](map_put, std::string& key, std::string& value) {
        self->state[key] = std::move(value);
        return true;
      },
      [self](map_get, const std::string& key) {
        auto i = self->state.find(key);
        return i != self->state.end() ? i->second : std::string{};
      },
  };
}

/// Request `i` to a map_owner: a put if even, else a get.
inline void map_put_or_get(caf::event_based_actor* self,
                           const caf::actor& owner, int i,
                           std::function<void()> next) {
  if (i % 2 == 0)
    self->request(owner, caf::infinite, map_put::value, key_of_request(i),
                  bench_value())
        .then([next](bool) { next(); });
  else
    self->request(owner, caf::infinite, map_get::value, key_of_request(i))
        .then([next](const std::string&) { next(); });
}

/// The owner of `ns`, as a caller that caches owners finds it
/// (actors/owner_cache.hpp); an invalid handle if the router refused.
inline namespace_operations resolve_owner(caf::actor_system& sys,
                                          const router_actor& router,
                                          const namespace_path& ns) {
  namespace_operations result;
  caf::scoped_actor self{sys};
  self->request(caf::actor_cast<owner_directory>(router), caf::infinite,
                resolve_atom::value, ns)
      .receive([&](namespace_operations& owner) { result = std::move(owner); },
               [](caf::error&) {});
  return result;
}

/// Request `i` to statekeeper (the router, an owner or a remote handle),
/// the same way: a put if even, else a get.
template <class Target>
void put_or_get(caf::event_based_actor* self, const Target& target,
                const namespace_path& ns, int i, std::function<void()> next) {
  if (i % 2 == 0)
    self->request(target, caf::infinite, put_atom::value, ns, key_of_request(i),
                  bench_value(), ttl_option{})
        .then([next](uint64_t) { next(); });
  else
    self->request(target, caf::infinite, get_atom::value, ns, key_of_request(i))
        .then([next](caf::optional<entry>&) { next(); });
}

/// One figure of a bench: a rate (or an amount, such as bytes), with the
/// latency of its operations when it has one.
struct figure {
  std::string name;
  double value = 0;
  latency_summary latency;
};

inline figure make_figure(std::string name, const measured& m) {
  return {std::move(name), m.rate, m.latency};
}

/// Prints `figure NAME VALUE P50_US P99_US` lines after a bench's table:
/// what scripts/bench.sh reads to compute ratios across benches (0: no
/// latency).
inline void print_figures(const std::vector<figure>& figures) {
  for (auto& f : figures)
    std::printf("figure %s %.1f %.1f %.1f\n", f.name.c_str(), f.value,
                f.latency.median, f.latency.p99);
}

} // namespace statekeeper::bench
