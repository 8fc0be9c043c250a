// What the benchmarks share: client actors that each keep a number of
// requests in flight until they have made their share of the operations,
// the requests they make (50/50 put/get over 10,000 keys, 64-byte values),
// the plain-actor floor, and the `figure` lines scripts/bench.sh reads.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
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

/// Median and 99th percentile of a set of latencies.
struct latency_summary {
  double median = 0;
  double p99 = 0;
};

inline latency_summary summarize(std::vector<double> latencies) {
  if (latencies.empty())
    return {};
  std::sort(latencies.begin(), latencies.end());
  return {latencies[latencies.size() / 2],
          latencies[latencies.size() * 99 / 100]};
}

/// Issues request number `i` from `self` and calls `next` once it is
/// answered (successfully or not).
using request_fn =
    std::function<void(caf::event_based_actor*, int, std::function<void()>)>;

struct driver_state {
  request_fn op;
  caf::actor done;
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
  self->state.op(self, i, [self] { driven(self); });
}

inline caf::behavior driver(driver_actor* self, request_fn op, caf::actor done,
                            int ops, int in_flight) {
  self->state.op = std::move(op);
  self->state.done = std::move(done);
  self->state.ops = ops;
  for (int k = 0; k < in_flight && k < ops; ++k)
    drive(self);
  return {[](int) {}};
}

/// Runs `clients` drivers sharing `ops` operations, each with `in_flight`
/// requests outstanding; returns operations per second.
inline double run_drivers(caf::actor_system& sys, request_fn op, int ops,
                          int clients, int in_flight) {
  caf::scoped_actor waiter{sys};
  auto start = clock_type::now();
  for (int c = 0; c < clients; ++c)
    sys.spawn(driver, op, caf::actor{waiter}, ops / clients, in_flight);
  for (int c = 0; c < clients; ++c)
    waiter->receive([](bool) {});
  return ops / seconds_since(start);
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

/// The key of request `i`: 10,000 distinct keys.
inline std::string key_of(int i) {
  return "key-" + std::to_string(i % 10000);
}

/// Request `i` to a map_owner: a put (64-byte value) if even, else a get.
inline void map_put_or_get(caf::event_based_actor* self,
                           const caf::actor& owner, int i,
                           std::function<void()> next) {
  if (i % 2 == 0)
    self->request(owner, caf::infinite, map_put::value, key_of(i),
                  std::string(64, 'v'))
        .then([next](bool) { next(); });
  else
    self->request(owner, caf::infinite, map_get::value, key_of(i))
        .then([next](const std::string&) { next(); });
}

/// Request `i` to statekeeper (the router, an owner or a remote handle),
/// the same way: a put if even, else a get.
template <class Target>
void put_or_get(caf::event_based_actor* self, const Target& target,
                const namespace_path& ns, int i, std::function<void()> next) {
  if (i % 2 == 0)
    self->request(target, caf::infinite, put_atom::value, ns, key_of(i),
                  std::string(64, 'v'), ttl_option{})
        .then([next](uint64_t) { next(); });
  else
    self->request(target, caf::infinite, get_atom::value, ns, key_of(i))
        .then([next](caf::optional<entry>&) { next(); });
}

/// Prints `figure NAME VALUE` lines after a bench's table: what
/// scripts/bench.sh reads to compute ratios across benches.
inline void
print_figures(const std::vector<std::pair<std::string, double>>& figures) {
  for (auto& [name, value] : figures)
    std::printf("figure %s %.1f\n", name.c_str(), value);
}

} // namespace statekeeper::bench
