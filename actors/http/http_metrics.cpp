#include "actors/http/http_metrics.hpp"

#include <cstdio>

namespace statekeeper {

namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", x);
  return buf;
}

void header(std::string& out, const char* name, const char* type,
            const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// A metric of one sample.
template <class T>
void single(std::string& out, const char* name, const char* type,
            const char* help, T value) {
  header(out, name, type, help);
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

/// The series of histogram `name` with `labels` (empty, or `key="value"`
/// pairs separated by commas).
void series(std::string& out, const std::string& name,
            const std::string& labels, const histogram& h) {
  auto prefix = labels.empty() ? std::string{"{"} : "{" + labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    out += name + "_bucket" + prefix + "le=\"" + number(h.bounds[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket" + prefix + "le=\"+Inf\"} " + std::to_string(h.count) +
         "\n";
  auto suffix = labels.empty() ? std::string{} : "{" + labels + "}";
  out += name + "_sum" + suffix + " " + number(h.sum) + "\n";
  out += name + "_count" + suffix + " " + std::to_string(h.count) + "\n";
}

/// Upper bounds of the request latency buckets, in seconds.
histogram latency_histogram() {
  return histogram{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                    0.05, 0.1, 0.25, 0.5, 1.0, 5.0}};
}

} // namespace

void http_metrics::record(const std::string& operation,
                          const std::string& outcome,
                          std::chrono::nanoseconds latency) {
  auto seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard<std::mutex> guard{mtx_};
  ++outcomes_[{operation, outcome}];
  auto at = latencies_.find(operation);
  if (at == latencies_.end())
    at = latencies_.emplace(operation, latency_histogram()).first;
  at->second.observe(seconds);
}

std::string http_metrics::render(const service_stats& service,
                                 uint32_t connections) const {
  std::string out;
  header(out, "statekeeper_http_operations_total", "counter",
         "Operations answered over HTTP, by operation and outcome (ok or "
         "the error code).");
  std::unique_lock<std::mutex> guard{mtx_};
  for (auto& [key, n] : outcomes_)
    out += "statekeeper_http_operations_total{operation=\"" + key.first +
           "\",outcome=\"" + key.second + "\"} " + std::to_string(n) + "\n";
  header(out, "statekeeper_http_operation_duration_seconds", "histogram",
         "Time from a request's last byte to its response, by operation.");
  for (auto& [op, h] : latencies_)
    series(out, "statekeeper_http_operation_duration_seconds",
           "operation=\"" + op + "\"", h);
  guard.unlock();
  single(out, "statekeeper_http_connections", "gauge", "HTTP connections open.",
         connections);
  single(out, "statekeeper_http_connections_refused_total", "counter",
         "HTTP connections closed at once: max-connections were open.",
         refused_.load());
  single(out, "statekeeper_http_watch_streams", "gauge",
         "Watches open as event streams.", streams_.load());
  single(out, "statekeeper_active_namespaces", "gauge",
         "Namespace actors running.", service.active_namespaces);
  single(out, "statekeeper_activations_total", "counter",
         "Namespace actors started (a namespace loaded or created).",
         service.activations);
  single(out, "statekeeper_passivations_total", "counter",
         "Namespace actors stopped by passivation.", service.passivations);
  single(out, "statekeeper_expired_entries_total", "counter",
         "Entries removed by TTL sweeps.", service.expired_entries);
  single(out, "statekeeper_watchers", "gauge",
         "Watches open, over every protocol.", service.watchers);
  single(out, "statekeeper_commits_total", "counter",
         "PostgreSQL transactions committed.", service.commits);
  single(out, "statekeeper_commit_batches_total", "counter",
         "Write batches those transactions carried (group commit).",
         service.batches);
  single(out, "statekeeper_commit_failures_total", "counter",
         "PostgreSQL transactions that failed.", service.commit_failures);
  single(out, "statekeeper_leases_taken_total", "counter",
         "Several nodes: namespace leases taken (one per load).",
         service.leases_taken);
  single(out, "statekeeper_leases_lost_total", "counter",
         "Several nodes: namespaces given up, their lease passed to another "
         "node or this node's membership lapsed.",
         service.leases_lost);
  single(out, "statekeeper_fenced_batches_total", "counter",
         "Several nodes: write batches refused, their lease having passed to "
         "another node.",
         service.fenced_batches);
  single(out, "statekeeper_handovers_total", "counter",
         "Several nodes: namespaces handed over to the node placement "
         "prefers for them.",
         service.handovers);
  single(out, "statekeeper_cluster_members", "gauge",
         "Several nodes: live members this node sees, itself included.",
         service.cluster_members);
  header(out, "statekeeper_commit_duration_seconds", "histogram",
         "Time a committed PostgreSQL transaction took.");
  series(out, "statekeeper_commit_duration_seconds", "",
         service.commit_seconds);
  header(out, "statekeeper_commit_batch_size", "histogram",
         "Write batches a committed PostgreSQL transaction carried.");
  series(out, "statekeeper_commit_batch_size", "", service.commit_batches);
  return out;
}

} // namespace statekeeper
