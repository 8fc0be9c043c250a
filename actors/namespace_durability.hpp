// How a namespace owner loads its namespace and makes its changes durable
// before anything of them leaves the owner: in memory at once; with
// PostgreSQL once committed (sync, through the commit pipeline) or once the
// async backlog has room for them (async).
// Called only by the owner (actors/namespace_actor.hpp), in its handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/keyspace.hpp"
#include "actors/namespace_actor.hpp"
#include "messages/change.hpp"

namespace statekeeper {

/// Returns a random incarnation (see watch_cursor), never 0.
uint64_t fresh_incarnation();

/// Called with none once done, or with what went wrong.
using done_handler = commit_pipeline::continuation;

/// Loads the namespace if it is not loaded, then calls `done`. The load is
/// awaited: later requests stay queued, in order, until it is done. On one
/// of several nodes whose membership lapsed since the load, calls `done`
/// with `not_owner` and gives the namespace up.
void ensure_loaded(namespace_pointer self, done_handler done);

/// Several nodes: the namespace passed, or may have passed, to another
/// node (`why`). Replies held on commits fail, the watchers are dropped
/// with their cursors (to resume on the new owner) and the owner stops;
/// the next request activates a new one, which takes the lease if it can.
/// `refused`: the commit under way was refused (fenced), so nothing held
/// was applied; otherwise what it carries may still be committed and is
/// told `timeout`.
void give_up_namespace(namespace_pointer self, const caf::error& why,
                       bool refused);

/// Several nodes: gives the namespace up if this node's membership lapsed
/// since it was loaded (see ensure_loaded); returns whether it did. Its
/// timers call it, so that a node that lost contact tells its watchers no
/// progress it cannot vouch for.
bool gave_up_lapsed(namespace_pointer self);

/// Makes staged `changes` durable as the durability mode says and applies
/// them (store, expiry index, history, watchers), then calls `done`. In
/// sync durability they are applied in memory at once and go into the
/// commit pipeline; the owner goes on with its next request, and `done`,
/// the history and the watchers follow the commit.
void persist_and_apply(namespace_pointer self,
                       std::vector<change_record> changes, done_handler done);

/// What follows every applied change: history and watchers, and the expiry
/// timer.
void applied(namespace_pointer self, const std::vector<change_record>& changes);

/// Calls `done` once every change up to `revision` is committed: at once,
/// but in sync durability while commits are under way.
void when_durable(namespace_pointer self, uint64_t revision, done_handler done);

/// The revision up to which every change is committed: what a watcher may
/// be told of.
uint64_t durable_revision(const namespace_state& st);

/// Fails every reply held on a commit with `timeout` and `why`: the owner
/// stops without waiting for them.
void abandon_commits(namespace_pointer self, const std::string& why);

/// Whether nothing applied is waiting for its commit.
bool all_durable(const namespace_state& st);

/// Runs `op(keyspace, now)` and answers with `finish(result)` (a
/// caf::expected<T>) once whatever
/// it staged is applied and everything it observed is durable (with sync
/// persistence: committed; a read waits for the writes it saw). In memory
/// the answer is immediate. `finish` runs when the answer goes out. A
/// retired owner handles nothing (see namespace_state::retired).
template <class T, class Op, class Finish>
caf::result<T> run(namespace_pointer self, Op op, Finish finish) {
  auto& st = self->state;
  if (st.retired) // the caller resolves the namespace again and resends
    return caf::make_error(caf::sec::request_receiver_down);
  auto now = caf::make_timestamp();
  st.last_request = now;
  if (st.space && !st.persistence) {
    auto result = op(*st.space, now);
    if (!result)
      return std::move(result.error());
    if (auto staged = st.space->take_staged()) {
      if (auto err = st.space->apply(*staged))
        return err;
      applied(self, *staged);
    }
    return finish(std::move(*result));
  }
  auto rp = self->make_response_promise<T>();
  ensure_loaded(self, [self, rp, op, finish](caf::error err) mutable {
    if (err) {
      rp.deliver(std::move(err));
      return;
    }
    auto& space = *self->state.space;
    auto result = op(space, caf::make_timestamp());
    auto staged = space.take_staged();
    // Errors wait too: a failed precondition observed the state.
    auto answer = [rp, result = std::move(result),
                   finish](caf::error err) mutable {
      if (err)
        rp.deliver(std::move(err));
      else if (!result)
        rp.deliver(std::move(result.error()));
      else if (caf::expected<T> out = finish(std::move(*result)))
        rp.deliver(std::move(*out));
      else
        rp.deliver(std::move(out.error()));
    };
    if (staged)
      persist_and_apply(self, std::move(*staged), std::move(answer));
    else
      when_durable(self, space.revision(), std::move(answer));
  });
  return rp;
}

/// Runs `op` and answers with its result (see above).
template <class T, class Op> caf::result<T> run(namespace_pointer self, Op op) {
  return run<T>(self, std::move(op),
                [](auto&& x) { return caf::expected<T>{std::move(x)}; });
}

} // namespace statekeeper
