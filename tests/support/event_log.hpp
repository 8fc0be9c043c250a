// Collects the events a blocking client's watch handler receives (on a CAF
// thread) for the test thread to inspect and wait for.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/blocking_client.hpp"

namespace statekeeper::test {

class event_log {
 public:
  using predicate = std::function<bool(const std::vector<watch_event>&)>;

  /// A handler that appends to this log; it may outlive the log.
  watch_handler handler() const {
    return [st = state_](const watch_batch& events) {
      std::lock_guard<std::mutex> guard{st->mtx};
      st->events.insert(st->events.end(), events.begin(), events.end());
      st->changed.notify_all();
    };
  }

  /// A handler that appends to this log and then, once it was handed a
  /// put, blocks until `release` is set: a watcher that falls behind.
  watch_handler stuck_on_put(std::atomic<bool>& release) const {
    return [&release, record = handler()](const watch_batch& xs) {
      record(xs);
      for (auto& x : xs)
        if (x.kind == watch_event_kind::put)
          while (!release)
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
    };
  }

  std::vector<watch_event> events() const {
    std::lock_guard<std::mutex> guard{state_->mtx};
    return state_->events;
  }

  /// Waits up to `limit` for `pred` to hold; returns whether it did.
  bool wait_for(const predicate& pred,
                std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> guard{state_->mtx};
    return state_->changed.wait_for(guard, limit,
                                    [&] { return pred(state_->events); });
  }

  /// Waits until an event of `kind` arrived.
  bool wait_kind(watch_event_kind kind,
                 std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    return wait_for(
        [kind](const std::vector<watch_event>& xs) {
          for (auto& x : xs)
            if (x.kind == kind)
              return true;
          return false;
        },
        limit);
  }

  /// Waits until an event at `revision` or later arrived.
  bool wait_revision(uint64_t revision,
                     std::chrono::milliseconds limit = std::chrono::seconds{
                         10}) {
    return wait_for(
        [revision](const std::vector<watch_event>& xs) {
          return !xs.empty() && xs.back().revision >= revision;
        },
        limit);
  }

 private:
  struct shared {
    std::mutex mtx;
    std::condition_variable changed;
    std::vector<watch_event> events;
  };
  std::shared_ptr<shared> state_ = std::make_shared<shared>();
};

/// Returns the cursor `revision` of `ns`: a watch's cursors carry the
/// namespace's incarnation, which a snapshot's snapshot_done tells.
inline watch_cursor cursor_at(blocking_client& client, const namespace_path& ns,
                              uint64_t revision) {
  event_log log;
  auto sub = client.watch(ns, {"\x01none"}, caf::none, log.handler());
  REQUIRE(sub);
  REQUIRE(log.wait_kind(watch_event_kind::snapshot_done));
  for (auto& ev : log.events())
    if (ev.kind == watch_event_kind::snapshot_done)
      return watch_cursor{ev.incarnation, revision};
  return {};
}

} // namespace statekeeper::test
