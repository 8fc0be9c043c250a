#include "messages/stats.hpp"

#include <algorithm>
#include <utility>

namespace statekeeper {

histogram::histogram(std::vector<double> upper_bounds)
    : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

void histogram::observe(double x) {
  auto bucket = std::lower_bound(bounds.begin(), bounds.end(), x);
  ++counts[static_cast<size_t>(bucket - bounds.begin())];
  ++count;
  sum += x;
}

void histogram::merge(const histogram& other) {
  if (other.count == 0)
    return;
  if (count == 0 && bounds != other.bounds) {
    *this = other;
    return;
  }
  for (size_t i = 0; i < counts.size() && i < other.counts.size(); ++i)
    counts[i] += other.counts[i];
  count += other.count;
  sum += other.sum;
}

histogram commit_seconds_histogram() {
  return histogram{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1, 2.5, 5, 10}};
}

histogram commit_batches_histogram() {
  return histogram{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
}

} // namespace statekeeper
