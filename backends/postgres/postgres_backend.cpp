#include "backends/postgres/postgres_backend.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include <pqxx/pqxx>

#include "backends/commit_plan.hpp"
#include "backends/postgres/binary_array.hpp"
#include "backends/postgres/stored_rows.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

// The history must hold every change above its floor. A batch that async
// durability gave up on (the database kept refusing it) leaves a hole:
// keep only what follows the last hole, or nothing if the history does not
// reach the namespace's revision, so that a watcher resuming across the
// hole gets cursor_expired instead of silently missing a change.
void keep_complete_history(namespace_snapshot& snap) {
  auto& history = snap.history;
  if (history.empty() || history.back().version != snap.revision) {
    history.clear();
    snap.history_floor = snap.revision;
    return;
  }
  size_t first = 0;
  for (size_t i = 1; i < history.size(); ++i)
    if (history[i].version > history[i - 1].version + 1)
      first = i;
  history.erase(history.begin(), history.begin() + first);
  snap.history_floor = history.front().version - 1;
}

// Serialises schema migrations of concurrent starts (an arbitrary constant
// that names statekeeper's advisory lock).
constexpr int64_t migration_lock_id = 0x73746b70;

// A column of a result row as decode_*_row takes it.
stored_column column(const pqxx::field& field) {
  if (field.is_null())
    return std::nullopt;
  return std::string_view{field.c_str(), field.size()};
}

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); an error context is one line.
std::string one_line(const char* text) {
  std::string out;
  for (auto p = text; *p != '\0'; ++p) {
    bool space = *p == '\n' || *p == '\t' || *p == '\r' || *p == ' ';
    if (!space)
      out += *p;
    else if (!out.empty() && out.back() != ' ')
      out += ' ';
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

caf::error unavailable(const char* what, const char* why) {
  return make_error(error_code::storage_unavailable,
                    std::string{what} +
                        ": PostgreSQL unavailable: " + one_line(why));
}

} // namespace

struct postgres_backend::session : pqxx::connection {
  using pqxx::connection::connection;
};

namespace {

// Time limits so that a server that stops answering (rather than refusing)
// is noticed in seconds, not minutes. Keywords given by the user come later
// in the string and win. A URI cannot be prefixed: set them in it.
std::string with_time_limits(std::string conninfo) {
  if (conninfo.rfind("postgres://", 0) == 0 ||
      conninfo.rfind("postgresql://", 0) == 0)
    return conninfo;
  return "connect_timeout=10 keepalives=1 keepalives_idle=10 "
         "keepalives_interval=5 keepalives_count=3 tcp_user_timeout=20000 " +
         conninfo;
}

} // namespace

postgres_backend::postgres_backend(std::string conninfo,
                                   caf::timespan idle_limit)
    : conninfo_(with_time_limits(std::move(conninfo))),
      idle_limit_(idle_limit) {
  // nop
}

postgres_backend::~postgres_backend() = default;

durable_store_factory postgres_store_factory(std::string conninfo,
                                             caf::timespan idle_limit) {
  return [conninfo = std::move(conninfo), idle_limit] {
    return std::make_unique<postgres_backend>(conninfo, idle_limit);
  };
}

namespace {

int64_t milliseconds(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

int64_t microseconds(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::microseconds>(x).count();
}

/// The member in columns `at`.. `at` + 3 of `row`: id, name, address, port.
member_info member_of(const pqxx::row& row, pqxx::row::size_type at) {
  return {static_cast<uint64_t>(row[at].as<int64_t>()),
          row[at + 1].as<std::string>(), row[at + 2].as<std::string>(),
          static_cast<uint16_t>(row[at + 3].as<int>())};
}

} // namespace

bool postgres_backend::connected() const {
  return conn_ != nullptr && conn_->is_open();
}

template <class F>
auto postgres_backend::guarded(const char* what, F f) -> decltype(f()) {
  if (!connected()) {
    conn_.reset();
    return unavailable(what, "not connected");
  }
  try {
    return f();
  } catch (const pqxx::in_doubt_error& ex) {
    // Not storage_unavailable, which promises that nothing was applied:
    // like a timeout, the caller cannot know.
    conn_.reset();
    return make_error(error_code::timeout,
                      std::string{what} +
                          ": connection lost during commit, outcome unknown: " +
                          one_line(ex.what()));
  } catch (const pqxx::broken_connection& ex) {
    conn_.reset();
    return unavailable(what, ex.what());
  } catch (const pqxx::sql_error& ex) {
    auto& state = ex.sqlstate();
    // Class 08: connection exceptions; 57P0x: the server is shutting down or
    // terminated this backend (pg_terminate_backend).
    if (state.compare(0, 2, "08") == 0 || state.compare(0, 4, "57P0") == 0) {
      conn_.reset();
      return unavailable(what, ex.what());
    }
    // Deadlock or serialization failure: nothing was applied; retryable.
    if (state == "40P01" || state == "40001")
      return unavailable(what, ex.what());
    // A lease row locked past lock_timeout: a commit of its owner is under
    // way, or stuck with its node; retryable.
    if (state == "55P03")
      return make_error(error_code::not_owner,
                        std::string{what} +
                            ": another node is still committing under the "
                            "namespace's lease");
    return make_error(error_code::internal, std::string{what} + ": SQLSTATE " +
                                                state + ": " +
                                                one_line(ex.what()));
  } catch (const pqxx::usage_error& ex) {
    return make_error(error_code::internal,
                      std::string{what} + ": " + one_line(ex.what()));
  } catch (const pqxx::failure& ex) {
    // Anything else libpqxx reports is the connection going away under us.
    conn_.reset();
    return unavailable(what, ex.what());
  } catch (const std::exception& ex) {
    return make_error(error_code::internal,
                      std::string{what} + ": " + one_line(ex.what()));
  }
}

caf::error postgres_backend::connect() {
  conn_.reset();
  try {
    conn_ = std::make_unique<session>(conninfo_);
  } catch (const std::exception& ex) {
    return unavailable("connect", ex.what());
  }
  auto err = guarded("connect", [&]() -> caf::error {
    if (auto err = migrate())
      return err;
    if (idle_limit_.count() > 0)
      conn_->set_variable("idle_in_transaction_session_timeout",
                          std::to_string(milliseconds(idle_limit_)));
    prepare_statements();
    return caf::none;
  });
  if (err)
    conn_.reset(); // a half-set-up connection must not be used
  return err;
}

caf::error postgres_backend::migrate() {
  pqxx::work tx{*conn_, "statekeeper-migrate"};
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_id);
  tx.exec("CREATE TABLE IF NOT EXISTS sk_schema_migrations ("
          " version integer PRIMARY KEY,"
          " name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  for (auto row : tx.exec("SELECT version FROM sk_schema_migrations"))
    applied.insert(row[0].as<int>());
  auto& known = schema_migrations();
  int newest_known = known.empty() ? 0 : known.back().version;
  if (!applied.empty() && *applied.rbegin() > newest_known)
    return make_error(error_code::internal,
                      "database schema version " +
                          std::to_string(*applied.rbegin()) +
                          " is newer than this statekeeper (knows up to " +
                          std::to_string(newest_known) + ")");
  for (auto& m : known) {
    if (applied.count(m.version) > 0)
      continue;
    tx.exec(m.sql);
    tx.exec_params("INSERT INTO sk_schema_migrations (version, name) "
                   "VALUES ($1, $2)",
                   m.version, std::string{m.name});
  }
  tx.commit();
  return caf::none;
}

void postgres_backend::prepare_statements() {
  auto& c = *conn_;
  c.prepare("sk_load_revision",
            "SELECT revision, incarnation FROM sk_namespaces WHERE ns = $1");
  c.prepare("sk_load_entries",
            "SELECT key, value, version, expires_at FROM sk_entries"
            " WHERE ns = $1 AND (expires_at IS NULL OR expires_at > $2)"
            " ORDER BY key");
  c.prepare("sk_load_history",
            "SELECT revision, kind, key, value, expires_at FROM sk_changes"
            " WHERE ns = $1 ORDER BY revision, seq");
  c.prepare("sk_upsert",
            "INSERT INTO sk_entries (ns, key, value, version, expires_at)"
            " SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[],"
            "                      $4::bigint[], $5::bigint[])"
            " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,"
            " version = EXCLUDED.version, expires_at = EXCLUDED.expires_at");
  c.prepare("sk_delete", "DELETE FROM sk_entries e"
                         " USING unnest($1::bytea[], $2::bytea[]) AS d(ns, key)"
                         " WHERE e.ns = d.ns AND e.key = d.key");
  c.prepare("sk_clear", "DELETE FROM sk_entries WHERE ns = ANY($1::bytea[])");
  // ON CONFLICT: a retry of a commit whose outcome was unknown (connection
  // lost during COMMIT) writes the same rows again.
  c.prepare("sk_log",
            "INSERT INTO sk_changes"
            " (ns, revision, seq, kind, key, value, expires_at, epoch)"
            " SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[],"
            "                      $4::bigint[], $5::bytea[], $6::bytea[],"
            "                      $7::bigint[], $8::bigint[])"
            " ON CONFLICT (ns, revision, seq) DO NOTHING");
  // Fencing: the leases a commit writes under that are still current,
  // share-locked until it ends, so that no lease changes hands meanwhile
  // (taking one updates its row and waits for the commit).
  c.prepare("sk_fence",
            "SELECT l.ns, l.epoch FROM sk_leases l"
            " JOIN unnest($1::bytea[], $2::bigint[]) AS f(ns, epoch)"
            " ON l.ns = f.ns AND l.epoch = f.epoch"
            " ORDER BY l.ns FOR SHARE OF l");
  c.prepare("sk_join", "INSERT INTO sk_members (id, name, address, port)"
                       " VALUES ($1, $2, $3, $4) ON CONFLICT (id)"
                       " DO UPDATE SET heartbeat_at = now()");
  // clock_timestamp(), not now() (the transaction's start): the time
  // after the row lock, which a node taking a lease over holds while it
  // decides (sk_holder_lock).
  c.prepare("sk_last_heartbeat",
            "SELECT (extract(epoch FROM clock_timestamp() - heartbeat_at)"
            " * 1e6)::bigint FROM sk_members WHERE id = $1 FOR UPDATE");
  c.prepare("sk_heartbeat", "UPDATE sk_members SET heartbeat_at ="
                            " clock_timestamp() WHERE id = $1");
  c.prepare("sk_leave", "DELETE FROM sk_members WHERE id = $1");
  c.prepare("sk_members",
            "SELECT m.id, m.name, m.address, m.port,"
            " (extract(epoch FROM now() - m.heartbeat_at) * 1e6)::bigint,"
            " (SELECT count(*) FROM sk_leases l WHERE l.owner = m.id)"
            " FROM sk_members m ORDER BY m.name, m.id");
  // The holder's member row, share-locked before the decision: a heartbeat
  // under way (its row locked for update) is waited for, so that it is
  // either seen here or finds that it came too late (sk_last_heartbeat).
  c.prepare("sk_holder_lock",
            "SELECT m.id FROM sk_leases l JOIN sk_members m ON m.id = l.owner"
            " WHERE l.ns = $1 FOR SHARE OF m");
  // Free, ours, or held by a member that is gone or has not heartbeat
  // within the timeout ($3, microseconds).
  c.prepare("sk_acquire",
            "INSERT INTO sk_leases AS l (ns, owner, epoch) VALUES ($1, $2, 1)"
            " ON CONFLICT (ns) DO UPDATE"
            " SET owner = EXCLUDED.owner, epoch = l.epoch + 1"
            " WHERE l.owner IS NULL OR l.owner = EXCLUDED.owner"
            " OR NOT EXISTS (SELECT 1 FROM sk_members m WHERE m.id = l.owner"
            "   AND m.heartbeat_at > now() - $3::bigint * interval '1 us')"
            " RETURNING l.epoch");
  c.prepare("sk_holder", "SELECT m.id, m.name, m.address, m.port"
                         " FROM sk_leases l"
                         " JOIN sk_members m ON m.id = l.owner"
                         " WHERE l.ns = $1");
  // Whether the lease is ours ($2), and its holder if that is another live
  // member ($3: the member timeout, microseconds).
  c.prepare("sk_lease_of",
            "SELECT l.owner = $2, m.id, m.name, m.address, m.port"
            " FROM sk_leases l LEFT JOIN sk_members m ON m.id = l.owner"
            "   AND m.id <> $2"
            "   AND m.heartbeat_at > now() - $3::bigint * interval '1 us'"
            " WHERE l.ns = $1");
  c.prepare("sk_live_members",
            "SELECT id, name, address, port FROM sk_members"
            " WHERE heartbeat_at > now() - $1::bigint * interval '1 us'");
  c.prepare("sk_release", "UPDATE sk_leases SET owner = NULL,"
                          " epoch = epoch + 1 WHERE ns = $1 AND epoch = $2");
  c.prepare("sk_release_ours",
            "UPDATE sk_leases SET owner = NULL,"
            " epoch = epoch + 1 WHERE ns = $1 AND owner = $2");
  c.prepare("sk_trim_log",
            "DELETE FROM sk_changes c"
            " USING unnest($1::bytea[], $2::bigint[], $3::bigint[])"
            "   AS f(ns, above, revision)"
            " WHERE c.ns = f.ns AND c.revision > f.above"
            "   AND c.revision <= f.revision");
  c.prepare("sk_revision",
            "INSERT INTO sk_namespaces (ns, revision, incarnation)"
            " SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[])"
            " ON CONFLICT (ns) DO UPDATE SET revision ="
            " GREATEST(sk_namespaces.revision, EXCLUDED.revision),"
            " incarnation = EXCLUDED.incarnation");
  // Live namespaces: the primary key's btree serves the prefix range.
  c.prepare("sk_list_all", "SELECT n.ns FROM sk_namespaces n WHERE EXISTS ("
                           " SELECT 1 FROM sk_entries e WHERE e.ns = n.ns"
                           " AND (e.expires_at IS NULL OR e.expires_at > $1))"
                           " ORDER BY n.ns");
  c.prepare("sk_list_prefix",
            "SELECT n.ns FROM sk_namespaces n"
            " WHERE (n.ns = $1 OR (n.ns >= $2 AND n.ns < $3)) AND EXISTS ("
            " SELECT 1 FROM sk_entries e WHERE e.ns = n.ns"
            " AND (e.expires_at IS NULL OR e.expires_at > $4))"
            " ORDER BY n.ns");
  c.prepare("sk_exists", "SELECT EXISTS (SELECT 1 FROM sk_entries WHERE ns = $1"
                         " AND (expires_at IS NULL OR expires_at > $2))");
  c.prepare("sk_purge",
            "DELETE FROM sk_entries WHERE ctid = ANY (ARRAY ("
            " SELECT ctid FROM sk_entries"
            " WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2))");
}

caf::expected<namespace_snapshot> postgres_backend::load(const std::string& ns,
                                                         caf::timestamp now) {
  return guarded("load", [&]() -> caf::expected<namespace_snapshot> {
    // One snapshot for all three reads: the history must match the revision.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx{*conn_};
    pqxx::binarystring key{ns};
    namespace_snapshot snap;
    auto rev = tx.exec_prepared("sk_load_revision", key);
    if (!rev.empty()) {
      auto decoded = decode_namespace_row(column(rev[0][0]), column(rev[0][1]));
      if (!decoded)
        return std::move(decoded.error());
      std::tie(snap.revision, snap.incarnation) = *decoded;
    }
    auto rows = tx.exec_prepared("sk_load_entries", key, to_epoch_ns(now));
    snap.entries.reserve(rows.size());
    for (auto row : rows) {
      auto e = decode_entry_row(column(row[0]), column(row[1]), column(row[2]),
                                column(row[3]));
      if (!e)
        return std::move(e.error());
      snap.entries.push_back(std::move(*e));
    }
    auto log = tx.exec_prepared("sk_load_history", key);
    snap.history.reserve(log.size());
    for (auto row : log) {
      auto change =
          decode_change_row(column(row[0]), column(row[1]), column(row[2]),
                            column(row[3]), column(row[4]));
      if (!change)
        return std::move(change.error());
      snap.history.push_back(std::move(*change));
    }
    keep_complete_history(snap);
    return snap;
  });
}

namespace {

caf::optional<int64_t> epoch_ns(const caf::optional<caf::timestamp>& ts) {
  if (!ts)
    return caf::none;
  return to_epoch_ns(*ts);
}

/// The array parameters of the commit's statements.
struct commit_arrays {
  bytea_array clear_ns;
  bytea_array del_ns, del_keys;
  bytea_array put_ns, put_keys, put_values;
  integer_array put_versions, put_expiry;
  bytea_array rev_ns;
  integer_array rev_values, rev_incarnations;
  bytea_array log_ns, log_keys, log_values;
  integer_array log_revisions, log_seqs, log_kinds, log_expiry, log_epochs;
  bytea_array trim_ns;
  integer_array trim_from, trim_floors;
};

commit_arrays encode(const commit_plan& plan) {
  commit_arrays a;
  for (auto ns : plan.cleared)
    a.clear_ns.add(ns);
  for (auto& effect : plan.effects) {
    if (auto put = effect.put) {
      a.put_ns.add(effect.ns);
      a.put_keys.add(effect.key);
      a.put_values.add(put->value);
      a.put_versions.add(static_cast<int64_t>(put->version));
      a.put_expiry.add(epoch_ns(put->expires_at));
    } else {
      a.del_ns.add(effect.ns);
      a.del_keys.add(effect.key);
    }
  }
  for (auto& st : plan.namespaces) {
    a.rev_ns.add(st.ns);
    a.rev_values.add(static_cast<int64_t>(st.revision));
    a.rev_incarnations.add(static_cast<int64_t>(st.incarnation));
    if (st.history_floor > st.trimmed_floor) {
      a.trim_ns.add(st.ns);
      a.trim_from.add(static_cast<int64_t>(st.trimmed_floor));
      a.trim_floors.add(static_cast<int64_t>(st.history_floor));
    }
  }
  for (auto& row : plan.log) {
    auto& change = *row.change;
    a.log_ns.add(row.ns);
    a.log_revisions.add(static_cast<int64_t>(change.version));
    a.log_seqs.add(row.seq);
    a.log_kinds.add(int64_t{to_db(change.kind)});
    a.log_epochs.add(static_cast<int64_t>(row.epoch));
    a.log_keys.add(change.key);
    if (change.kind == change_kind::put) {
      a.log_values.add(change.value);
      a.log_expiry.add(epoch_ns(change.expires_at));
    } else {
      a.log_values.add_null();
      a.log_expiry.add(caf::none);
    }
  }
  return a;
}

} // namespace

namespace {

/// The leases `batches` write under: (namespace, epoch), each once.
std::set<std::pair<std::string, uint64_t>>
leases_of(const std::vector<persist_batch>& batches) {
  std::set<std::pair<std::string, uint64_t>> result;
  for (auto& batch : batches)
    if (batch.epoch != 0)
      result.emplace(batch.ns, batch.epoch);
  return result;
}

} // namespace

caf::error postgres_backend::commit(const std::vector<persist_batch>& batches,
                                    std::vector<std::string>& fenced) {
  auto a = encode(plan_commit(batches));
  auto leases = leases_of(batches);
  return guarded("commit", [&]() -> caf::error {
    pqxx::work tx{*conn_};
    if (!leases.empty()) {
      bytea_array ns;
      integer_array epochs;
      for (auto& [name, epoch] : leases) {
        ns.add(name);
        epochs.add(static_cast<int64_t>(epoch));
      }
      auto current = leases;
      for (auto row : tx.exec_prepared("sk_fence", ns.param(), epochs.param()))
        current.erase({pqxx::binarystring{row[0]}.str(),
                       static_cast<uint64_t>(row[1].as<int64_t>())});
      // What is left is no longer current.
      if (!current.empty()) {
        std::string names;
        for (auto& [name, epoch] : current) {
          fenced.push_back(name);
          names += (names.empty() ? "\"" : ", \"") + name + "\"";
        }
        return make_error(error_code::not_owner,
                          "the lease of namespace " + names +
                              " passed to another node: this node no "
                              "longer commits for it");
      }
    }
    if (a.clear_ns.size() > 0)
      tx.exec_prepared("sk_clear", a.clear_ns.param());
    if (a.del_ns.size() > 0)
      tx.exec_prepared("sk_delete", a.del_ns.param(), a.del_keys.param());
    if (a.put_ns.size() > 0)
      tx.exec_prepared("sk_upsert", a.put_ns.param(), a.put_keys.param(),
                       a.put_values.param(), a.put_versions.param(),
                       a.put_expiry.param());
    if (a.rev_ns.size() > 0)
      tx.exec_prepared("sk_revision", a.rev_ns.param(), a.rev_values.param(),
                       a.rev_incarnations.param());
    if (a.log_ns.size() > 0)
      tx.exec_prepared("sk_log", a.log_ns.param(), a.log_revisions.param(),
                       a.log_seqs.param(), a.log_kinds.param(),
                       a.log_keys.param(), a.log_values.param(),
                       a.log_expiry.param(), a.log_epochs.param());
    if (a.trim_ns.size() > 0)
      tx.exec_prepared("sk_trim_log", a.trim_ns.param(), a.trim_from.param(),
                       a.trim_floors.param());
    tx.commit();
    return caf::none;
  });
}

caf::expected<std::vector<std::string>>
postgres_backend::list_namespaces(const std::string& prefix,
                                  caf::timestamp now) {
  return guarded(
      "list_namespaces", [&]() -> caf::expected<std::vector<std::string>> {
        pqxx::read_transaction tx{*conn_};
        pqxx::result rows;
        if (prefix.empty()) {
          rows = tx.exec_prepared("sk_list_all", to_epoch_ns(now));
        } else {
          // Below "p": from "p/" up to, excluding, "p0" ('0'
          // follows '/'); '/' inside segments is escaped.
          rows = tx.exec_prepared("sk_list_prefix", pqxx::binarystring{prefix},
                                  pqxx::binarystring{prefix + "/"},
                                  pqxx::binarystring{prefix + "0"},
                                  to_epoch_ns(now));
        }
        std::vector<std::string> result;
        for (auto row : rows)
          result.push_back(pqxx::binarystring{row[0]}.str());
        return result;
      });
}

caf::expected<bool> postgres_backend::namespace_exists(const std::string& ns,
                                                       caf::timestamp now) {
  return guarded("namespace_exists", [&]() -> caf::expected<bool> {
    pqxx::read_transaction tx{*conn_};
    return tx
        .exec_prepared1("sk_exists", pqxx::binarystring{ns},
                        to_epoch_ns(now))[0]
        .as<bool>();
  });
}

caf::expected<uint64_t> postgres_backend::purge_expired(caf::timestamp now,
                                                        uint64_t limit) {
  return guarded("purge_expired", [&]() -> caf::expected<uint64_t> {
    pqxx::work tx{*conn_};
    auto result = tx.exec_prepared("sk_purge", to_epoch_ns(now),
                                   static_cast<int64_t>(limit));
    tx.commit();
    return static_cast<uint64_t>(result.affected_rows());
  });
}

caf::error postgres_backend::join(const member_info& me) {
  return guarded("join", [&]() -> caf::error {
    pqxx::work tx{*conn_};
    tx.exec_prepared("sk_join", static_cast<int64_t>(me.id), me.name,
                     me.address, static_cast<int>(me.port));
    tx.commit();
    return caf::none;
  });
}

caf::expected<caf::timespan> postgres_backend::heartbeat(uint64_t id) {
  return guarded("heartbeat", [&]() -> caf::expected<caf::timespan> {
    pqxx::work tx{*conn_};
    auto key = static_cast<int64_t>(id);
    auto last = tx.exec_prepared("sk_last_heartbeat", key);
    if (last.empty())
      return make_error(error_code::not_found,
                        "member " + std::to_string(id) + " has no row");
    tx.exec_prepared("sk_heartbeat", key);
    tx.commit();
    return std::chrono::duration_cast<caf::timespan>(
        std::chrono::microseconds{last[0][0].as<int64_t>()});
  });
}

caf::error postgres_backend::leave(uint64_t id) {
  return guarded("leave", [&]() -> caf::error {
    pqxx::work tx{*conn_};
    tx.exec_prepared("sk_leave", static_cast<int64_t>(id));
    tx.commit();
    return caf::none;
  });
}

caf::expected<std::vector<member_status>>
postgres_backend::members(caf::timespan member_timeout) {
  return guarded("members", [&]() -> caf::expected<std::vector<member_status>> {
    pqxx::read_transaction tx{*conn_};
    std::vector<member_status> result;
    for (auto row : tx.exec_prepared("sk_members")) {
      member_status x;
      x.member = member_of(row, 0);
      x.heartbeat_age = std::chrono::duration_cast<caf::timespan>(
          std::chrono::microseconds{row[4].as<int64_t>()});
      x.live = x.heartbeat_age < member_timeout;
      x.namespaces = row[5].as<uint64_t>();
      result.push_back(std::move(x));
    }
    return result;
  });
}

caf::expected<std::vector<member_info>>
postgres_backend::live_members(caf::timespan member_timeout) {
  return guarded(
      "live_members", [&]() -> caf::expected<std::vector<member_info>> {
        pqxx::read_transaction tx{*conn_};
        std::vector<member_info> result;
        for (auto row :
             tx.exec_prepared("sk_live_members", microseconds(member_timeout)))
          result.push_back(member_of(row, 0));
        return result;
      });
}

caf::expected<uint64_t>
postgres_backend::acquire_lease(const std::string& ns, uint64_t id,
                                caf::timespan member_timeout,
                                const caf::optional<member_info>& placed) {
  return guarded("acquire_lease", [&]() -> caf::expected<uint64_t> {
    pqxx::work tx{*conn_};
    pqxx::binarystring key{ns};
    auto me = static_cast<int64_t>(id);
    auto timeout_us = microseconds(member_timeout);
    auto owned_by = [&](const member_info& holder, const char* how) {
      return owned_elsewhere("namespace \"" + ns + "\" is " + how + " node \"" +
                                 holder.name + "\" at " + holder.address + ":" +
                                 std::to_string(holder.port),
                             holder);
    };
    // A commit under the current lease holds the row a moment; one stuck
    // longer (its node paused) must not stop this persistence actor.
    tx.exec("SET LOCAL lock_timeout = " +
            std::to_string(milliseconds(member_timeout)));
    tx.exec_prepared("sk_holder_lock", key);
    if (placed) {
      // Placement prefers another node: take nothing. A lease of ours
      // belongs to an owner that holds no data of the namespace (one that
      // retired or gave it up, its release still on its way, or the
      // loading one itself): free it for the node it is placed on.
      auto rows = tx.exec_prepared("sk_lease_of", key, me, timeout_us);
      auto ours =
          !rows.empty() && !rows[0][0].is_null() && rows[0][0].as<bool>();
      if (ours) {
        tx.exec_prepared("sk_release_ours", key, me);
        tx.commit();
      } else if (!rows.empty() && !rows[0][1].is_null()) {
        return owned_by(member_of(rows[0], 1), "owned by");
      }
      return owned_by(*placed, "placed on");
    }
    auto taken = tx.exec_prepared("sk_acquire", key, me, timeout_us);
    if (taken.empty()) {
      auto rows = tx.exec_prepared("sk_holder", key);
      if (rows.empty()) // gone since: the next attempt takes it
        return make_error(error_code::not_owner,
                          "namespace \"" + ns + "\" is owned by another node");
      return owned_by(member_of(rows[0], 0), "owned by");
    }
    tx.commit();
    return static_cast<uint64_t>(taken[0][0].as<int64_t>());
  });
}

caf::error postgres_backend::release_lease(const std::string& ns,
                                           uint64_t epoch) {
  return guarded("release_lease", [&]() -> caf::error {
    pqxx::work tx{*conn_};
    tx.exec_prepared("sk_release", pqxx::binarystring{ns},
                     static_cast<int64_t>(epoch));
    tx.commit();
    return caf::none;
  });
}

} // namespace statekeeper
