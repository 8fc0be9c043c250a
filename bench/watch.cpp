// Measures watch delivery in-process: one writer keeps 64 puts (100-byte
// values, one namespace) in flight while 0, 1 or 100 watchers follow the
// namespace. Prints the write rate as a ratio of the run without watchers
// (the baseline, same process), the rate of events delivered to all
// watchers, and the latency from a write's acknowledgement to the first
// watcher's receipt of its event (median, p99; negative: the event arrived
// before the writer saw its acknowledgement).
// Usage: statekeeper_watch_bench [--writes=N]   (default 20000)
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

constexpr int in_flight = 64;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             clock_type::now().time_since_epoch())
      .count();
}

// Written by the writer (acks) and the first watcher (receipts), read after
// the run; one slot per revision.
struct timeline {
  explicit timeline(size_t n) : acked(n + 1), received(n + 1) {
    // nop
  }
  std::vector<std::atomic<int64_t>> acked;
  std::vector<std::atomic<int64_t>> received;
};

sk::watcher_actor::behavior_type
counting_watcher(sk::watcher_actor::pointer, std::shared_ptr<timeline> times,
                 bool records, uint64_t last, caf::actor done) {
  return {
      [=](sk::event_atom, uint64_t, const sk::watch_batch& events) {
        auto at = now_ns();
        for (auto& ev : events) {
          if (ev.kind != sk::watch_event_kind::put)
            continue;
          if (records && ev.revision < times->received.size())
            times->received[ev.revision] = at;
          if (ev.revision == last)
            caf::anon_send(done, true);
        }
      },
  };
}

struct result {
  double writes_per_s = 0;
  /// Of the writes, from request to acknowledgement.
  latency_summary latency;
  double events_per_s = 0;
  double median_us = 0;
  double p99_us = 0;
};

result run(int watchers, int writes) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  caf::actor_system sys{cfg};
  auto router = *sk::spawn_service(sys);
  sk::namespace_path ns{"bench", {"watched"}};
  auto times = std::make_shared<timeline>(writes);
  caf::scoped_actor self{sys};
  for (int w = 0; w < watchers; ++w) {
    auto watcher = sys.spawn(counting_watcher, times, w == 0,
                             static_cast<uint64_t>(writes), caf::actor{self});
    self->request(router, caf::infinite, sk::watch_atom::value, ns,
                  std::vector<std::string>{}, caf::optional<sk::watch_cursor>{},
                  watcher)
        .receive([](uint64_t) {}, [](caf::error&) {});
  }
  auto op = [router, ns, times](caf::event_based_actor* client, int i,
                                std::function<void()> next) {
    client
        ->request(router, caf::infinite, sk::put_atom::value, ns,
                  key_of(i), bench_value(),
                  sk::ttl_option{})
        .then([times, next](uint64_t revision) {
          if (revision < times->acked.size())
            times->acked[revision] = now_ns();
          next();
        });
  };
  auto start = clock_type::now();
  auto write_rate = run_drivers(sys, op, writes, 1, in_flight);
  for (int w = 0; w < watchers; ++w)
    self->receive([](bool) {});
  auto delivered = seconds_since(start);
  sk::stop_service(router);
  result r;
  r.writes_per_s = write_rate.rate;
  r.latency = write_rate.latency;
  if (watchers == 0)
    return r;
  r.events_per_s = static_cast<double>(writes) * watchers / delivered;
  std::vector<double> latencies;
  for (int rev = 1; rev <= writes; ++rev)
    latencies.push_back((times->received[rev] - times->acked[rev]) / 1000.0);
  auto summary = summarize(std::move(latencies));
  r.median_us = summary.median;
  r.p99_us = summary.p99;
  return r;
}

} // namespace

int main(int argc, char** argv) {
  int writes = 20000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--writes=", 9) == 0)
      writes = std::max(1000, std::atoi(argv[i] + 9));
  std::printf("watch delivery, in-process (%d puts, %d in flight, 100-byte "
              "values, one namespace)\n",
              writes, in_flight);
  auto base = run(0, writes);
  std::printf("  %3d watchers: %9.0f writes/s (baseline)\n", 0,
              base.writes_per_s);
  std::vector<figure> figures{{"watch_0", base.writes_per_s, base.latency}};
  for (int watchers : {1, 100}) {
    auto r = run(watchers, writes);
    figures.push_back(
        {"watch_" + std::to_string(watchers), r.writes_per_s, r.latency});
    std::printf("  %3d watchers: %9.0f writes/s (%.2fx)  %10.0f events/s "
                "delivered  ack->event median %7.1f us  p99 %8.1f us\n",
                watchers, r.writes_per_s, r.writes_per_s / base.writes_per_s,
                r.events_per_s, r.median_us, r.p99_us);
  }
  print_figures(figures);
  return 0;
}
