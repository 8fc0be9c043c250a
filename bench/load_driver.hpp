// A load driver for benchmarks: client actors that each keep a number of
// requests in flight until they have made their share of the operations.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include <caf/all.hpp>

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
using request_fn
  = std::function<void(caf::event_based_actor*, int, std::function<void()>)>;

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

inline caf::behavior driver(driver_actor* self, request_fn op,
                            caf::actor done, int ops, int in_flight) {
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

} // namespace statekeeper::bench
