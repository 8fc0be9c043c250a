#include "actors/namespace_durability.hpp"

#include <memory>
#include <random>

#include "actors/namespace_expiry.hpp"
#include "actors/namespace_watches.hpp"
#include "backends/memory/memory_storage.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

const char* persistence_name = "PostgreSQL (its persistence actor)";

/// Fills the keyspace from a snapshot of the database, taking its contents.
caf::error install(namespace_pointer self, namespace_snapshot& snap) {
  std::vector<change_record> rows;
  rows.reserve(snap.entries.size());
  for (auto& e : snap.entries)
    rows.push_back(change_record{change_kind::put, std::move(e.key), e.version,
                                 std::move(e.value), e.expires_at});
  auto store = std::make_shared<memory_store>();
  if (auto err = store->apply(rows, snap.revision))
    return err;
  auto& st = self->state;
  st.space.emplace(std::move(store), st.opts.limits);
  st.hub.restore(std::move(snap.history), snap.history_floor);
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

} // namespace

uint64_t fresh_incarnation() {
  // Never 0, which stands for "none yet" in the database.
  std::random_device source;
  uint64_t result = 0;
  while (result == 0)
    result = (uint64_t{source()} << 32) | source();
  return result;
}

void applied(namespace_pointer self,
             const std::vector<change_record>& changes) {
  publish(self, changes);
  schedule_sweep(self);
}

void ensure_loaded(namespace_pointer self, done_handler done) {
  auto& st = self->state;
  if (st.space) {
    done(caf::error{});
    return;
  }
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
  persist_batch batch{st.ns, changes, changes.front().version, st.hub.floor(),
                      st.incarnation};
  if (st.opts.postgres->mode == durability::async) {
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
  self->request(st.persistence, st.opts.postgres->timeout, write_atom::value,
                std::move(batch))
      .await(
          [self, changes = std::move(changes), done](ok_atom) mutable {
            auto err = self->state.space->apply(changes);
            if (!err)
              applied(self, changes);
            done(std::move(err));
          },
          [self, done](caf::error& err) mutable {
            // storage_unavailable from the persistence actor: not committed,
            // and what this actor holds is still what is committed, so
            // reads go on. Anything else (connection lost during COMMIT, no
            // answer in time) may have committed after all: re-read the
            // database before serving again.
            if (!has_code(err, error_code::storage_unavailable))
              self->state.space.reset();
            done(in_our_terms(std::move(err), persistence_name));
          });
}

} // namespace statekeeper
