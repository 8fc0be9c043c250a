#include "actors/persistence_actor.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "actors/log.hpp"
#include "actors/membership.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* persistence_state::name = "statekeeper.persistence";

namespace {

/// Connects if there is no connection and the backoff allows an attempt.
/// Returns none when connected.
caf::error ensure_connected(persistence_pointer self) {
  auto& st = self->state;
  if (st.db->connected())
    return caf::none;
  auto now = caf::make_timestamp();
  if (now < st.next_connect_attempt)
    return make_error(error_code::storage_unavailable,
                      "PostgreSQL unavailable, reconnecting");
  auto err = st.db->connect();
  if (!err) {
    st.backoff = caf::timespan{0};
    return caf::none;
  }
  st.backoff = std::min(std::max(st.backoff * 2, st.opts.reconnect_min),
                        st.opts.reconnect_max);
  st.next_connect_attempt = now + st.backoff;
  return err;
}

void schedule_flush(persistence_pointer self, caf::timespan delay) {
  auto& st = self->state;
  if (st.flush_scheduled)
    return;
  st.flush_scheduled = true;
  if (delay.count() > 0)
    self->delayed_send(self, delay, flush_atom::value);
  else
    self->send(self, flush_atom::value);
}

/// Gives the async backlog the room of acknowledged batches that are
/// committed or given up on.
void release(persistence_pointer self, const std::vector<persist_batch>& done) {
  uint64_t records = 0;
  for (auto& batch : done)
    records += batch.changes.size();
  if (records > 0 && self->state.backlog)
    self->send(self->state.backlog, release_atom::value, records);
}

/// Answers every promise in `promises` with `result`.
template <class Result>
void answer(std::vector<caf::typed_response_promise<ok_atom>>& promises,
            const Result& result) {
  for (auto& rp : promises)
    rp.deliver(result);
}

/// Commits the acknowledged batches the database refused for another
/// reason than the connection one by one, so that one it can never take
/// does not block the others forever (that one is dropped, and said so).
/// Returns those to retry later.
std::vector<persist_batch>
commit_one_by_one(persistence_pointer self,
                  std::vector<persist_batch> acknowledged) {
  std::vector<persist_batch> retry;
  std::vector<persist_batch> done;
  for (auto& batch : acknowledged) {
    std::vector<std::string> fenced;
    auto err = self->state.db->commit({batch}, fenced);
    if (err && has_code(err, error_code::storage_unavailable)) {
      retry.push_back(std::move(batch));
      continue;
    }
    if (err)
      log(log_level::error,
          "dropping an acknowledged write of namespace \"" + batch.ns +
              "\" that PostgreSQL refuses: " + caf::to_string(err));
    done.push_back(std::move(batch));
  }
  release(self, done);
  return retry;
}

/// Takes the batches of the `fenced` namespaces (their lease passed to
/// another node) out of a commit, `batches` holding `acknowledged` ones
/// first, then those of `waiters`: their writers get `err`.
void drop_fenced(persistence_pointer self, std::vector<persist_batch>& batches,
                 size_t& acknowledged,
                 std::vector<caf::typed_response_promise<ok_atom>>& waiters,
                 const std::vector<std::string>& fenced,
                 const caf::error& err) {
  auto is_fenced = [&](const persist_batch& batch) {
    return std::find(fenced.begin(), fenced.end(), batch.ns) != fenced.end();
  };
  std::vector<persist_batch> kept;
  std::vector<persist_batch> lost;
  std::vector<caf::typed_response_promise<ok_atom>> kept_waiters;
  size_t kept_acknowledged = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    bool mine = !is_fenced(batches[i]);
    if (i < acknowledged) {
      if (mine)
        ++kept_acknowledged;
      else
        log(log_level::error, "dropping an acknowledged write of namespace \"" +
                                  batches[i].ns + "\": " + caf::to_string(err));
      (mine ? kept : lost).push_back(std::move(batches[i]));
      continue;
    }
    auto& rp = waiters[i - acknowledged];
    if (mine) {
      kept.push_back(std::move(batches[i]));
      kept_waiters.push_back(std::move(rp));
    } else {
      rp.deliver(err);
    }
  }
  release(self, lost);
  batches = std::move(kept);
  waiters = std::move(kept_waiters);
  acknowledged = kept_acknowledged;
}

/// Commits everything queued in one transaction and answers the waiters.
void flush(persistence_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto syncs = std::exchange(st.syncs, {});
  if (st.acknowledged.empty() && st.waiting.empty()) {
    answer(syncs, ok_atom::value);
    return;
  }
  // Acknowledged writes go first: they are older than any waiting one of the
  // same namespace (a namespace uses one durability mode).
  auto batches = std::exchange(st.acknowledged, {});
  auto acknowledged_count = batches.size();
  for (auto& batch : std::exchange(st.waiting, {}))
    batches.push_back(std::move(batch));
  auto waiters = std::exchange(st.waiters, {});
  auto err = ensure_connected(self);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> fenced;
  if (!err)
    err = st.db->commit(batches, fenced);
  // Several nodes: the namespaces whose lease passed to another node fail
  // alone; the others commit without them.
  while (!fenced.empty() && has_code(err, error_code::not_owner)) {
    drop_fenced(self, batches, acknowledged_count, waiters, fenced, err);
    st.stats.fenced += fenced.size();
    fenced.clear();
    err = batches.empty() ? caf::error{} : st.db->commit(batches, fenced);
  }
  if (!err) {
    if (!batches.empty())
      ++st.stats.commits;
    st.stats.batches += batches.size();
    st.stats.commit_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      started)
            .count());
    st.stats.commit_batches.observe(static_cast<double>(batches.size()));
    batches.resize(acknowledged_count);
    release(self, batches);
    answer(waiters, ok_atom::value);
    answer(syncs, ok_atom::value);
    return;
  }
  ++st.stats.failures;
  // Unacknowledged writes fail: their callers see the error and nothing of
  // them is visible. Acknowledged ones stay queued and are retried.
  answer(waiters, err);
  answer(syncs, err);
  batches.resize(acknowledged_count);
  if (!has_code(err, error_code::storage_unavailable))
    batches = commit_one_by_one(self, std::move(batches));
  st.acknowledged = std::move(batches);
  if (!st.acknowledged.empty())
    schedule_flush(self, std::max(st.backoff, st.opts.reconnect_min));
}

/// Loads `ns`; on one of several nodes, takes its lease first, so that the
/// load sees every commit of its previous owner.
caf::expected<namespace_snapshot>
load_owned(persistence_pointer self, durable_store& db, const std::string& ns) {
  auto& node = self->state.node;
  uint64_t epoch = 0;
  if (node) {
    if (!node->live())
      return make_error(error_code::not_owner,
                        "this node is not a live member of the cluster (its "
                        "heartbeat is late: PostgreSQL unreachable?); it "
                        "takes no namespace until its heartbeat is renewed");
    auto lease =
        db.acquire_lease(ns, node->me().id, node->options().member_timeout,
                         node->placed_elsewhere(ns));
    if (!lease)
      return std::move(lease.error());
    epoch = *lease;
    ++self->state.stats.leases;
  }
  auto snap = db.load(ns, caf::make_timestamp());
  if (snap)
    snap->epoch = epoch;
  return snap;
}

/// Runs a read against the database, connecting first if needed.
template <class F>
auto with_db(persistence_pointer self, F f) -> decltype(f(*self->state.db)) {
  if (auto err = ensure_connected(self))
    return err;
  return f(*self->state.db);
}

} // namespace

persistence_actor::behavior_type
persistence_actor_impl(persistence_pointer self, postgres_options opts,
                       durable_store_factory open_store,
                       async_backlog_actor backlog,
                       std::shared_ptr<const node_membership> node) {
  self->state.opts = opts;
  self->state.node = std::move(node);
  self->state.backlog = std::move(backlog);
  self->state.db = open_store();
  // Stopping with the router: commit the acknowledged writes first.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    flush(self);
    if (auto lost = self->state.acknowledged.size(); lost > 0)
      log(log_level::error, "stopping with " + std::to_string(lost) +
                                " acknowledged write batches not committed "
                                "(PostgreSQL unavailable)");
    self->quit(msg.reason);
  });
  self->send(self, connect_atom::value);
  return {
      [self](load_atom,
             const std::string& ns) -> caf::result<namespace_snapshot> {
        auto& st = self->state;
        // Writes queued before this load (a write whose caller gave up, an
        // async write of a previous owner) must be in what it reads.
        if (!st.acknowledged.empty() || !st.waiting.empty())
          flush(self);
        for (auto& batch : st.acknowledged)
          if (batch.ns == ns)
            return make_error(error_code::storage_unavailable,
                              "namespace has writes not yet committed");
        return with_db(
            self, [&](durable_store& db) { return load_owned(self, db, ns); });
      },
      [self](release_atom, const std::string& ns, uint64_t epoch) {
        auto err = with_db(self, [&](durable_store& db) {
          return db.release_lease(ns, epoch);
        });
        // Not released: it frees itself once this node's heartbeat stops.
        if (err)
          log(log_level::warning, "cannot release the lease of namespace \"" +
                                      ns + "\": " + caf::to_string(err));
      },
      [self](write_atom, persist_batch& batch) -> caf::result<ok_atom> {
        auto& st = self->state;
        auto rp = self->make_response_promise<ok_atom>();
        st.waiting.push_back(std::move(batch));
        st.waiters.push_back(rp);
        schedule_flush(self, caf::timespan{0});
        return rp;
      },
      [self](queue_atom, persist_batch& batch) {
        self->state.acknowledged.push_back(std::move(batch));
        schedule_flush(self, self->state.opts.async_delay);
      },
      [self](sync_atom) -> caf::result<ok_atom> {
        auto& st = self->state;
        if (st.acknowledged.empty() && st.waiting.empty())
          return ok_atom::value;
        auto rp = self->make_response_promise<ok_atom>();
        st.syncs.push_back(rp);
        // Commit now instead of waiting for the async delay.
        st.flush_scheduled = false;
        schedule_flush(self, caf::timespan{0});
        return rp;
      },
      [self](list_ns_atom, const std::string& prefix)
          -> caf::result<std::vector<std::string>> {
        return with_db(self, [&](durable_store& db) {
          return db.list_namespaces(prefix, caf::make_timestamp());
        });
      },
      [self](ns_exists_atom, const std::string& ns) -> caf::result<bool> {
        return with_db(self, [&](durable_store& db) {
          return db.namespace_exists(ns, caf::make_timestamp());
        });
      },
      [self](purge_atom) -> caf::result<uint64_t> {
        // Bounded batches, several per tick while they come back full, so a
        // backlog shrinks without holding the connection for long.
        return with_db(self, [&](durable_store& db) -> caf::expected<uint64_t> {
          uint64_t total = 0;
          auto batch = self->state.opts.purge_batch;
          for (int round = 0; round < 10; ++round) {
            auto purged = db.purge_expired(caf::make_timestamp(), batch);
            if (!purged)
              return purged;
            total += *purged;
            if (*purged < batch)
              break;
          }
          return total;
        });
      },
      [self](stats_atom) { return self->state.stats; },
      [self](members_atom) -> caf::result<std::vector<member_status>> {
        auto& node = self->state.node;
        if (!node)
          return make_error(error_code::invalid_argument,
                            "this service is a single node");
        return with_db(self, [&](durable_store& db) {
          return db.members(node->options().member_timeout);
        });
      },
      [self](flush_atom) { flush(self); },
      [self](connect_atom) {
        if (ensure_connected(self))
          self->delayed_send(self, self->state.backoff, connect_atom::value);
      },
  };
}

} // namespace statekeeper
