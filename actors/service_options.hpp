// Configuration of a statekeeper service instance. Plain values, copied into
// the actors at spawn time; the standalone binary maps each field to a
// `statekeeper.*` option (see app/server/config.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <string>

#include <caf/error.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

namespace statekeeper {

/// Size and count limits. Exceeding one is `limit_exceeded` naming it.
struct service_limits {
  /// Longest key, in bytes. Default: 4096.
  size_t max_key_bytes = 4096;
  /// Largest value, in bytes. Default: 1 MiB.
  size_t max_value_bytes = 1024 * 1024;
  /// Longest rendered namespace, in bytes. Default: 1024.
  size_t max_namespace_bytes = 1024;
  /// Most keys or items in one get_many, put_many or erase_many. Default: 1000.
  size_t max_batch = 1000;
  /// Largest `limit` of one list_keys or scan page. Default: 1000.
  uint32_t max_page = 1000;
  /// Longest TTL. Default: 100 years (keeps expiry times representable).
  caf::timespan max_ttl = std::chrono::hours{24 * 365 * 100};
};

/// When a write is acknowledged with PostgreSQL.
enum class durability {
  /// After its transaction committed. A crash loses no acknowledged write.
  sync,
  /// After the in-memory apply; committed within `async_delay` (longer while
  /// PostgreSQL is unreachable). A crash loses what was not committed yet.
  async,
};

/// PostgreSQL persistence. Used when `service_options::postgres` is set.
struct postgres_options {
  /// libpq connection string or URI; "" uses the PG* environment variables.
  std::string conninfo;
  /// Default: sync.
  durability mode = durability::sync;
  /// Async mode: the longest a queued write waits for its commit while the
  /// database is reachable. Default: 10 ms.
  caf::timespan async_delay = std::chrono::milliseconds{10};
  /// Async mode: most change records acknowledged and not yet committed,
  /// service-wide: what a crash of the service can lose. A write beyond it
  /// waits for commits to make room (at most `timeout`, then it fails with
  /// storage_unavailable, not applied); a batch larger than this goes
  /// alone. Default: 1000.
  uint64_t async_max_pending = 1000;
  /// Number of persistence actors (connections) sharing the namespaces.
  /// Default: 1.
  size_t connections = 1;
  /// First and longest delay between reconnection attempts. Defaults:
  /// 100 ms and 5 s.
  caf::timespan reconnect_min = std::chrono::milliseconds{100};
  caf::timespan reconnect_max = std::chrono::seconds{5};
  /// How long a namespace actor waits for a load or a commit. Default: 30 s.
  caf::timespan timeout = std::chrono::seconds{30};
  /// Most expired rows of inactive namespaces deleted per statement; up to
  /// ten statements run each sweep_interval while they come back full.
  /// Default: 1000.
  uint64_t purge_batch = 1000;
  /// How long spawn_service waits for PostgreSQL to become reachable
  /// before it fails. Default: 0 (fail at once).
  caf::timespan startup_wait{0};
};

/// Several nodes on one PostgreSQL database (needs `postgres`, in sync
/// durability). Each node registers itself as a member and heartbeats; a
/// namespace is owned by one node at a time, under a lease whose epoch
/// every commit checks (docs/architecture.md, "Several nodes").
struct cluster_options {
  /// How the node is shown to operators. Default: "" (the binary uses the
  /// host name and port).
  std::string node_name;
  /// Where other nodes and clients reach this node: the address and port
  /// the service is published on (publish_service), or a proxy's.
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  /// The secret the nodes log in to each other with (publish_service
  /// accepts it as a token for every tenant). A request that reaches a
  /// node that does not own its namespace goes on to the owner in such a
  /// session, and no further. Required.
  std::string peer_token;
  /// Whether the nodes publish with TLS (their certificates come from the
  /// actor system's openssl.* options). Default: false.
  bool tls = false;
  /// How often the node renews its membership. Default: 500 ms.
  caf::timespan heartbeat_interval = std::chrono::milliseconds{500};
  /// A member whose last heartbeat is older than this (by the database's
  /// clock) is dead: others take over its namespaces. A node stops serving
  /// its namespaces once this much time, less a fifth, has passed since
  /// its last successful heartbeat started. Default: 3 s.
  caf::timespan member_timeout = std::chrono::seconds{3};
};

struct service_options {
  service_limits limits;
  /// Persist to PostgreSQL; none keeps everything in memory (the default).
  caf::optional<postgres_options> postgres;
  /// Be one node of several sharing `postgres`; none: a single node.
  caf::optional<cluster_options> cluster;
  /// Shortest time between two sweeps of a namespace, which sweeps at its
  /// earliest expiry (expired entries are invisible at once; the sweep frees
  /// their memory and tells watchers). Also the period of progress events
  /// to idle watchers, of passivation checks and of purging expired rows of
  /// inactive namespaces. Default: 1 s.
  caf::timespan sweep_interval = std::chrono::seconds{1};
  /// Most entries one namespace evicts per sweep message; a namespace with
  /// more expired entries queues another sweep behind waiting requests.
  /// Default: 1000.
  size_t sweep_batch = 1000;
  /// Run every namespace actor on an OS thread of its own (CAF `detached`),
  /// for backends that must always be called from the same thread. Costs one
  /// thread per active namespace. Default: false (cooperative scheduler).
  bool pin_namespaces = false;
  /// Passivation: a namespace actor idle for this long is stopped, freeing
  /// its memory; the next operation starts it again (with PostgreSQL, from
  /// the database; in memory, the engine keeps the data for the next owner).
  /// Checked each sweep_interval. Default: 5 min.
  caf::timespan passivate_after = std::chrono::minutes{5};
  /// Most namespace actors kept running; beyond it the least recently used
  /// are passivated. 0: no limit. Default: 0.
  size_t max_active_namespaces = 0;
  /// How long the router waits for namespace actors when it asks them on a
  /// caller's behalf (list_namespaces). Default: 10 s.
  caf::timespan internal_timeout = std::chrono::seconds{10};
  /// Watches: change records each namespace keeps for watchers resuming
  /// from a revision (with PostgreSQL, also in the database). Older
  /// revisions answer cursor_expired. Default: 10000.
  size_t watch_history = 10000;
  /// Watches: most live events a watcher may leave unacknowledged before it
  /// is dropped (told to resume from its cursor). Default: 10000.
  uint64_t watch_max_lag = 10000;
  /// Watches: how long a watcher may take to handle one batch of events
  /// before it is dropped. Default: 30 s.
  caf::timespan watch_ack_timeout = std::chrono::seconds{30};
};

/// Checks `opts` for values that cannot work (zero limits, non-positive
/// intervals). Returns `invalid_argument` naming the option, or none.
[[nodiscard]] caf::error validate(const service_options& opts);

} // namespace statekeeper
