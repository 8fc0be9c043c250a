// How a namespace owner loads its namespace and makes its changes durable
// before it applies them and answers: in memory at once; with PostgreSQL
// after the commit (sync) or once the async backlog has room (async).
// Called only by the owner (actors/namespace_actor.hpp), in its handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/result.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/keyspace.hpp"
#include "actors/namespace_actor.hpp"
#include "messages/change.hpp"

namespace statekeeper {

/// Returns a random incarnation (see watch_cursor), never 0.
uint64_t fresh_incarnation();

/// Called with none once done, or with what went wrong.
using done_handler = std::function<void(caf::error)>;

/// Loads the namespace if it is not loaded, then calls `done`. The load is
/// awaited: later requests stay queued, in order, until it is done.
void ensure_loaded(namespace_pointer self, done_handler done);

/// Makes staged `changes` durable as the durability mode says, applies them
/// (store, expiry index, history, watchers), then calls `done`.
void persist_and_apply(namespace_pointer self,
                       std::vector<change_record> changes, done_handler done);

/// What follows every applied change: history and watchers, and the expiry
/// timer.
void applied(namespace_pointer self, const std::vector<change_record>& changes);

/// Runs `op(keyspace, now)` and answers with its result once whatever it
/// staged is applied (and durable, with sync persistence). In memory the
/// answer is immediate.
template <class T, class Op> caf::result<T> run(namespace_pointer self, Op op) {
  auto& st = self->state;
  if (st.space && !st.persistence) {
    auto result = op(*st.space, caf::make_timestamp());
    if (!result)
      return std::move(result.error());
    if (auto staged = st.space->take_staged()) {
      if (auto err = st.space->apply(*staged))
        return err;
      applied(self, *staged);
    }
    return std::move(*result);
  }
  auto rp = self->make_response_promise<T>();
  ensure_loaded(self, [self, rp, op](caf::error err) mutable {
    if (err) {
      rp.deliver(std::move(err));
      return;
    }
    auto result = op(*self->state.space, caf::make_timestamp());
    if (!result) {
      rp.deliver(std::move(result.error()));
      return;
    }
    auto staged = self->state.space->take_staged();
    if (!staged) {
      rp.deliver(std::move(*result));
      return;
    }
    persist_and_apply(self, std::move(*staged),
                      [rp, value = std::move(*result)](caf::error err) mutable {
                        if (err)
                          rp.deliver(std::move(err));
                        else
                          rp.deliver(std::move(value));
                      });
  });
  return rp;
}

} // namespace statekeeper
