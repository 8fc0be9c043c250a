// What the HTTP gateway counts, and /metrics in Prometheus' text format:
// operations by name and outcome with latency histograms, open connections
// and event streams, and the service's own counters (service_stats).
// Shared by the gateway's network threads: every method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "messages/stats.hpp"

namespace statekeeper {

class http_metrics {
 public:
  /// Counts one answered request of `operation` with `outcome` ("ok" or an
  /// error code) that took `latency`.
  void record(const std::string& operation, const std::string& outcome,
              std::chrono::nanoseconds latency);

  void stream_opened() { ++streams_; }
  void stream_closed() { --streams_; }

  /// Connections turned away (max-connections).
  void connection_refused() { ++refused_; }

  /// The text of /metrics, with the service's counters `service` and the
  /// `connections` open.
  std::string render(const service_stats& service, uint32_t connections) const;

 private:
  mutable std::mutex mtx_;
  std::map<std::pair<std::string, std::string>, uint64_t> outcomes_;
  std::map<std::string, histogram> latencies_;
  std::atomic<int64_t> streams_{0};
  std::atomic<uint64_t> refused_{0};
};

} // namespace statekeeper
