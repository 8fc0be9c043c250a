// The one way tests wait for what they cannot be told about (a process
// exiting, an actor noticing that another went down, a database row being
// written by a background commit): poll a condition until it holds or a
// deadline passes. Waiting for a TTL to run out is the other kind of wait,
// where the passing of time is the point; those tests sleep.
#pragma once

#include <chrono>
#include <thread>

namespace statekeeper::test {

/// Calls `done()` every `every` until it returns true (then returns true)
/// or `limit` has passed (then returns false). `done` runs at least once,
/// and once more at the deadline.
template <class Condition>
bool eventually(Condition done,
                std::chrono::milliseconds limit = std::chrono::seconds{10},
                std::chrono::milliseconds every = std::chrono::milliseconds{
                    20}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(every);
  }
}

} // namespace statekeeper::test
