#include "actors/namespace_durability.hpp"

#include <iterator>
#include <memory>
#include <random>

#include "actors/log.hpp"
#include "actors/membership.hpp"
#include "actors/namespace_expiry.hpp"
#include "actors/namespace_watches.hpp"
#include "backends/memory/memory_storage.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

const char* persistence_name = "PostgreSQL (its persistence actor)";

/// Fills the keyspace from a snapshot of the database, taking its contents.
caf::error install(namespace_pointer self, namespace_snapshot& snap) {
  auto store = std::make_shared<memory_store>();
  store->load(std::move(snap.entries), snap.revision);
  auto& st = self->state;
  st.space.emplace(std::move(store), st.opts.limits);
  st.hub.restore(std::move(snap.history), snap.history_floor);
  st.pipeline = commit_pipeline{};
  st.pipeline.durable = snap.revision;
  st.trimmed_floor = 0;
  st.epoch = snap.epoch;
  // Sync durability: a watcher saw only committed changes, so the stored
  // incarnation goes on. Async: what a watcher saw may not have been
  // committed, and its revisions may be handed out again: a new one.
  if (st.opts.postgres->mode == durability::async)
    st.incarnation = fresh_incarnation();
  else if (snap.incarnation != 0)
    st.incarnation = snap.incarnation;
  else if (st.incarnation == 0)
    st.incarnation = fresh_incarnation();
  return caf::none;
}

/// The batch that makes `changes` durable, with the history's floor now.
persist_batch batch_of(const namespace_state& st,
                       std::vector<change_record> changes) {
  auto revision = changes.back().version;
  return {st.ns,          std::move(changes), revision,
          st.hub.floor(), st.trimmed_floor,   st.incarnation,
          st.epoch};
}

/// Whether changes go through the commit pipeline: sync durability.
bool is_pipelined(const namespace_state& st) {
  return st.persistence && st.opts.postgres->mode == durability::sync;
}

void start_commit(namespace_pointer self);

/// The commit under way is acknowledged: answer what waited for it, tell
/// the watchers, and commit what accumulated meanwhile.
void committed(namespace_pointer self) {
  auto& st = self->state;
  auto& pipeline = st.pipeline;
  auto changes = std::move(pipeline.committing);
  pipeline.committing.clear();
  pipeline.durable = changes.back().version;
  // The floor the commit carried: the history records only committed
  // changes, so it has not moved since.
  st.trimmed_floor = st.hub.floor();
  while (!pipeline.undo.empty() &&
         pipeline.undo.front().first < pipeline.durable)
    pipeline.undo.pop_front();
  st.hub.record(changes);
  // In the history before what waited runs, and to the watchers after: a
  // watch that waited for these revisions opens on them.
  while (!pipeline.held.empty() &&
         pipeline.held.front().first <= pipeline.durable) {
    auto done = std::move(pipeline.held.front().second);
    pipeline.held.pop_front();
    done(caf::error{});
  }
  notify_watchers(self, changes);
  start_commit(self);
}

/// Takes back every change of the pipeline, newest first. Returns false if
/// the store refused.
bool take_back(namespace_state& st) {
  auto& undo = st.pipeline.undo;
  for (auto i = undo.rbegin(); i != undo.rend(); ++i)
    if (st.space->revert(i->second, i->first))
      return false;
  return true;
}

/// The commit under way failed: everything held fails with it, and nothing
/// that was not committed is ever seen. Known not committed (the database
/// refused, or could not be reached): the changes are taken back in memory
/// and the namespace serves on. Unknown (`timeout`: the connection lost
/// during COMMIT, or no answer in time): it is loaded again before the next
/// request, and the watchers resume from their cursors on what the reload
/// finds.
void commit_failed(namespace_pointer self, caf::error err) {
  auto& st = self->state;
  auto failure = in_our_terms(std::move(err), persistence_name);
  if (has_code(failure, error_code::not_owner)) {
    give_up_namespace(self, failure, true);
    return;
  }
  auto outcome_unknown = has_code(failure, error_code::timeout);
  if (outcome_unknown || !take_back(st))
    st.space.reset();
  if (outcome_unknown)
    drop_all_watchers(self, "a commit of the namespace failed with an "
                            "unknown outcome; watch again from the last "
                            "revision you saw");
  auto held = std::move(st.pipeline.held);
  auto failed_up_to = st.pipeline.committing.back().version;
  auto durable = st.pipeline.durable;
  st.pipeline = commit_pipeline{};
  st.pipeline.durable = durable;
  // Retryable: nothing of it is visible. With an unknown outcome, what the
  // failed commit carried may be committed: say so (`timeout`).
  auto lost =
      make_error(error_code::storage_unavailable,
                 "not committed, as a commit of the namespace failed (" +
                     context_of(failure) + "); nothing of it is visible");
  for (auto& [revision, done] : held)
    done(outcome_unknown && revision <= failed_up_to ? failure : lost);
  schedule_sweep(self);
}

void start_commit(namespace_pointer self) {
  auto& st = self->state;
  auto& pipeline = st.pipeline;
  if (!pipeline.committing.empty() || pipeline.next.empty())
    return;
  pipeline.committing = std::move(pipeline.next);
  pipeline.next.clear();
  self->request(st.persistence, st.opts.postgres->timeout, write_atom::value,
                batch_of(st, pipeline.committing))
      .then([self](ok_atom) { committed(self); },
            [self](caf::error& err) { commit_failed(self, std::move(err)); });
}

} // namespace

uint64_t fresh_incarnation() {
  // Seeded once per thread: opening the random device for every owner
  // was a tenth of the cost of activating an in-memory namespace.
  thread_local std::mt19937_64 source{[] {
    std::random_device device;
    return (uint64_t{device()} << 32) | device();
  }()};
  // Never 0, which stands for "none yet" in the database.
  uint64_t result = 0;
  while (result == 0)
    result = source();
  return result;
}

void applied(namespace_pointer self,
             const std::vector<change_record>& changes) {
  publish(self, changes);
  schedule_sweep(self);
}

void give_up_namespace(namespace_pointer self, const caf::error& why,
                       bool refused) {
  auto& st = self->state;
  log(log_level::warning,
      "namespace \"" + st.ns +
          "\" is no longer served by this node: " + context_of(why));
  drop_all_watchers(self, "the namespace moved to another node (" +
                              context_of(why) +
                              "); watch it again from your cursor");
  // A commit under way may still succeed, unless it was refused: say
  // `timeout` (outcome unknown) to what it carries, and `why` (nothing
  // applied) to what came after.
  uint64_t unknown_up_to = 0;
  if (!refused && !st.pipeline.committing.empty())
    unknown_up_to = st.pipeline.committing.back().version;
  auto held = std::move(st.pipeline.held);
  st.pipeline.held.clear();
  auto unknown =
      make_error(error_code::timeout,
                 "the namespace moved to another node while this write was "
                 "being committed; it may or may not be durable");
  for (auto& [revision, done] : held)
    done(revision <= unknown_up_to ? unknown : why);
  // The router counts it (a lease lost) by this reason.
  self->quit(make_error(error_code::not_owner, "gave the namespace up"));
}

namespace {

caf::error lapsed() {
  return make_error(error_code::not_owner,
                    "this node's membership of the cluster lapsed, so "
                    "another node may own the namespace now");
}

} // namespace

bool gave_up_lapsed(namespace_pointer self) {
  auto& st = self->state;
  if (!st.node || !st.space || st.node->serves(st.term))
    return false;
  give_up_namespace(self, lapsed(), false);
  return true;
}

void ensure_loaded(namespace_pointer self, done_handler done) {
  auto& st = self->state;
  if (st.space) {
    if (!st.node || st.node->serves(st.term)) {
      done(caf::error{});
      return;
    }
    // Its lease may have passed to another node while its membership
    // lapsed (a pause, a lost database): what it holds may be stale.
    done(lapsed());
    give_up_namespace(self, lapsed(), false);
    return;
  }
  // Taken before the lease: a lapse after it is noticed.
  st.term = st.node ? st.node->term() : 0;
  self->request(st.persistence, st.opts.postgres->timeout, load_atom::value,
                st.ns)
      .await(
          [self, done](namespace_snapshot& snap) mutable {
            auto err = install(self, snap);
            if (!err)
              schedule_sweep(self);
            done(std::move(err));
          },
          [done](caf::error& err) mutable {
            done(in_our_terms(std::move(err), persistence_name));
          });
}

void persist_and_apply(namespace_pointer self,
                       std::vector<change_record> changes, done_handler done) {
  auto& st = self->state;
  if (!st.persistence) {
    auto err = st.space->apply(changes);
    if (!err)
      applied(self, changes);
    done(std::move(err));
    return;
  }
  if (st.opts.postgres->mode == durability::async) {
    auto batch = batch_of(st, changes);
    // Acknowledged only once the backlog has room for it: what a crash can
    // lose stays within async-max-pending.
    uint64_t records = changes.size();
    self->request(st.backlog, st.opts.postgres->timeout, admit_atom::value,
                  records)
        .await(
            [self, changes = std::move(changes), batch = std::move(batch),
             records, done](ok_atom) mutable {
              auto& st = self->state;
              auto err = st.space->apply(changes);
              if (!err) {
                st.trimmed_floor = batch.history_floor;
                self->send(st.persistence, queue_atom::value, std::move(batch));
                applied(self, changes);
              } else {
                self->send(st.backlog, release_atom::value, records);
              }
              done(std::move(err));
            },
            [done](caf::error&) mutable {
              done(make_error(
                  error_code::storage_unavailable,
                  "PostgreSQL is not committing fast enough: the "
                  "async backlog (async-max-pending) stayed full for "
                  "the postgres timeout; nothing was written"));
            });
    return;
  }
  auto undo = st.space->undo_of(changes);
  auto before = st.space->revision();
  if (auto err = st.space->apply(changes)) {
    done(std::move(err));
    return;
  }
  st.pipeline.undo.emplace_back(before, std::move(undo));
  schedule_sweep(self);
  auto revision = changes.back().version;
  auto& next = st.pipeline.next;
  next.insert(next.end(), std::make_move_iterator(changes.begin()),
              std::make_move_iterator(changes.end()));
  when_durable(self, revision, std::move(done));
  start_commit(self);
}

void when_durable(namespace_pointer self, uint64_t revision,
                  done_handler done) {
  auto& pipeline = self->state.pipeline;
  if (!is_pipelined(self->state) || revision <= pipeline.durable)
    done(caf::error{});
  else
    pipeline.held.emplace_back(revision, std::move(done));
}

uint64_t durable_revision(const namespace_state& st) {
  if (is_pipelined(st))
    return st.pipeline.durable;
  return st.space ? st.space->revision() : 0;
}

void abandon_commits(namespace_pointer self, const std::string& why) {
  auto held = std::move(self->state.pipeline.held);
  self->state.pipeline.held.clear();
  for (auto& [revision, done] : held)
    done(make_error(error_code::timeout, why));
}

bool all_durable(const namespace_state& st) {
  return !is_pipelined(st) || st.pipeline.idle();
}

} // namespace statekeeper
