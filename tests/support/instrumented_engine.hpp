// A storage engine for tests: wraps the in-memory store and records, per
// namespace, which OS threads called it, whether two calls ever overlapped,
// and every applied change; it can also fail or crash on demand (failure
// paths, not a stand-in for a real backend). The probe is shared with the
// test thread, so it synchronises; the stores under test do not.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends/memory/memory_storage.hpp"

namespace statekeeper::test {

/// Thrown by a store told to crash: not a std::exception, so nothing in the
/// service catches it and the owning actor dies.
struct injected_crash {};

struct probe {
  struct store_record {
    std::set<std::thread::id> threads;
    uint64_t calls = 0;
    uint64_t overlaps = 0;
    uint64_t stored = 0;
  };

  std::mutex mtx;
  /// Per rendered namespace.
  std::map<std::string, store_record> stores;
  /// Every applied change, in order, per rendered namespace.
  std::map<std::string, std::vector<change_record>> applied;
  /// Number of apply calls still to fail with storage_unavailable.
  std::atomic<int> fail_applies{0};
  /// Number of apply calls still to throw injected_crash.
  std::atomic<int> crash_applies{0};
  /// How long each call lingers, to widen the window for overlaps.
  std::atomic<int> linger_us{0};

  store_record record(const std::string& ns) {
    std::lock_guard<std::mutex> guard{mtx};
    return stores[ns];
  }

  std::vector<change_record> changes(const std::string& ns) {
    std::lock_guard<std::mutex> guard{mtx};
    return applied[ns];
  }
};

class instrumented_store final : public namespace_store {
public:
  instrumented_store(std::string name, std::shared_ptr<probe> p);

  const stored_entry* find(const std::string& key) const override;
  void scan(const std::string& prefix, const std::string& after,
            const visitor& visit) const override;
  uint64_t size() const override;
  uint64_t revision() const override;
  caf::error apply(const std::vector<change_record>& batch,
                   uint64_t revision) override;

private:
  // Marks one call: records the thread and detects a concurrent caller.
  class call_guard {
  public:
    explicit call_guard(const instrumented_store& store);
    ~call_guard();

  private:
    const instrumented_store& store_;
  };

  std::string name_;
  std::shared_ptr<probe> probe_;
  memory_store inner_;
  mutable std::atomic<int> active_{0};
};

class instrumented_engine final : public storage_engine {
public:
  explicit instrumented_engine(std::shared_ptr<probe> p);

  std::shared_ptr<namespace_store> open(const namespace_path& ns,
                                        const std::string& rendered) override;

private:
  std::shared_ptr<probe> probe_;
  std::map<std::string, std::shared_ptr<instrumented_store>> stores_;
};

} // namespace statekeeper::test
