// The typed actor interfaces of statekeeper: read this file to learn the
// whole API. Users talk to `router_actor`; it forwards each operation to the
// one `namespace_actor` that owns the named namespace. Handles are values and
// may be used from any actor or thread.
//
// Conventions for every operation below:
// - Errors arrive as `caf::error` of category `statekeeper`
// (messages/error.hpp).
// - A bad namespace, empty key, invalid UTF-8 key, non-positive TTL or a page
//   limit of 0 is `invalid_argument` naming the field; a key, value, batch or
//   page over its configured limit is `limit_exceeded` naming the limit.
// - An expired entry is absent for every operation, even before a sweep.
// - Every operation that changes state raises the namespace revision by one
//   (a batch counts as one); an operation that changes nothing (erasing an
//   absent key, a failed compare) leaves it unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/optional.hpp>
#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/cluster.hpp"
#include "messages/entry.hpp"
#include "messages/namespace_path.hpp"
#include "messages/stats.hpp"
#include "messages/txn.hpp"
#include "messages/watch.hpp"

namespace statekeeper {

/// Optional time to live of a write; must be positive when given.
using ttl_option = caf::optional<caf::timespan>;

/// Operations on one namespace. The router accepts all of them (plus the
/// service-wide ones of `router_actor`) and forwards them unchanged.
using namespace_operations = caf::typed_actor<
    /// get(ns, key) -> the live entry, or none. A missing key is not an error.
    caf::replies_to<get_atom, namespace_path,
                    std::string>::with<caf::optional<entry>>,
    /// contains(ns, key) -> whether a live entry exists.
    caf::replies_to<contains_atom, namespace_path, std::string>::with<bool>,
    /// put(ns, key, value, ttl) -> the new version. Overwrites.
    caf::replies_to<put_atom, namespace_path, std::string, std::string,
                    ttl_option>::with<uint64_t>,
    /// create(ns, key, value, ttl) -> the new version; `already_exists` if a
    /// live entry is there.
    caf::replies_to<create_atom, namespace_path, std::string, std::string,
                    ttl_option>::with<uint64_t>,
    /// update(ns, key, value, expected_version, ttl) -> the new version;
    /// `not_found` without a live entry, `revision_mismatch` if its version
    /// differs from expected_version.
    caf::replies_to<update_atom, namespace_path, std::string, std::string,
                    uint64_t, ttl_option>::with<uint64_t>,
    /// erase(ns, key) -> whether a live entry existed. Idempotent.
    caf::replies_to<erase_atom, namespace_path, std::string>::with<bool>,
    /// erase_if(ns, key, expected_version) -> false if no live entry;
    /// `revision_mismatch` if its version differs; true once erased.
    caf::replies_to<erase_if_atom, namespace_path, std::string,
                    uint64_t>::with<bool>,
    /// get_many(ns, keys) -> the live entries among keys, in request order,
    /// missing keys left out.
    caf::replies_to<get_many_atom, namespace_path,
                    std::vector<std::string>>::with<std::vector<entry>>,
    /// put_many(ns, items) -> one version per item (all equal: one revision).
    /// All or nothing: one invalid item rejects the whole batch.
    caf::replies_to<put_many_atom, namespace_path,
                    std::vector<put_item>>::with<std::vector<uint64_t>>,
    /// erase_many(ns, keys) -> how many live entries were erased.
    caf::replies_to<erase_many_atom, namespace_path,
                    std::vector<std::string>>::with<uint64_t>,
    /// expire(ns, key, ttl) -> whether a live entry existed; sets its TTL
    /// (a change: the entry gets a new version).
    caf::replies_to<expire_atom, namespace_path, std::string,
                    caf::timespan>::with<bool>,
    /// persist(ns, key) -> whether a live entry existed; removes its TTL
    /// (a new version only if it had one).
    caf::replies_to<persist_atom, namespace_path, std::string>::with<bool>,
    /// list_keys(ns, prefix, after, limit) -> up to limit keys that start with
    /// prefix and sort strictly after `after` ("" = from the start).
    caf::replies_to<list_keys_atom, namespace_path, std::string, std::string,
                    uint32_t>::with<key_page>,
    /// scan(ns, prefix, after, limit) -> entries, paged like list_keys.
    caf::replies_to<scan_atom, namespace_path, std::string, std::string,
                    uint32_t>::with<entry_page>,
    /// key_count(ns) -> number of live entries.
    caf::replies_to<key_count_atom, namespace_path>::with<uint64_t>,
    /// namespace_exists(ns) -> whether the namespace holds a live entry.
    caf::replies_to<ns_exists_atom, namespace_path>::with<bool>,
    /// clear(ns) -> how many live entries were removed.
    caf::replies_to<clear_atom, namespace_path>::with<uint64_t>,
    /// watch(ns, prefixes, from, watcher) -> a watch id. Sends `watcher` the
    /// changes of keys under any of `prefixes` (none: every key), as event
    /// batches (messages/watch.hpp). Without `from`: first every matching
    /// live entry as a put, then snapshot_done, then live changes, with
    /// nothing lost or repeated between them. With a cursor `from` (the
    /// `cursor()` of an event): the changes after it, in order, then live
    /// ones; `cursor_expired` if the namespace's history no longer reaches
    /// back that far, or the cursor is of another incarnation or ahead of the
    /// namespace. A watcher more than the configured lag behind gets
    /// `dropped` and is removed; one that stops is removed.
    caf::replies_to<watch_atom, namespace_path, std::vector<std::string>,
                    caf::optional<watch_cursor>, watcher_actor>::with<uint64_t>,
    /// unwatch(ns, watch id) -> whether that watch existed. Ends it.
    caf::replies_to<unwatch_atom, namespace_path, uint64_t>::with<bool>,
    /// txn(ns, compares, on_success, on_failure) -> which branch ran and what
    /// each of its operations did. Atomic, one revision for all its writes
    /// (one watch event per changed key). A write key twice in one branch, or
    /// a compare or operation naming another namespace, is invalid_argument.
    caf::replies_to<txn_atom, namespace_path, std::vector<txn_compare>,
                    std::vector<txn_op>,
                    std::vector<txn_op>>::with<txn_result>>;

/// The service: every namespace operation, plus:
using router_actor = namespace_operations::extend<
    /// list_namespaces(prefix) -> every namespace at or under prefix that
    /// holds a live entry, sorted. An empty prefix (no tenant, no scopes)
    /// lists all namespaces.
    caf::replies_to<list_ns_atom,
                    namespace_path>::with<std::vector<namespace_path>>,
    /// sync() -> ok once every acknowledged write is durable.
    caf::replies_to<sync_atom>::with<ok_atom>,
    /// stats() -> service counters.
    caf::replies_to<stats_atom>::with<service_stats>,
    /// members() -> several nodes: every member of the cluster, live or
    /// dead, with how many namespaces it owns. invalid_argument on a
    /// single node.
    caf::replies_to<members_atom>::with<std::vector<member_status>>>;

/// Where in-process callers find the owner of a namespace, to send it the
/// namespace operations themselves instead of through the router: the
/// router's handle (from spawn_service) answers it. Not part of router_actor,
/// so no remote peer is ever handed an owner. See actors/owner_cache.hpp.
using owner_directory = caf::typed_actor<
    /// resolve(ns) -> the owner of ns, activated if it was not. Errors as
    /// for any operation on ns (invalid namespace, storage unavailable).
    caf::replies_to<resolve_atom, namespace_path>::with<namespace_operations>,
    /// Several nodes: peer(member) -> a session with that node, to send it
    /// the operations on a namespace it owns (see owner_cache.hpp);
    /// forget_peer(member id): that session's connection failed.
    caf::replies_to<peer_atom, member_info>::with<router_actor>,
    caf::reacts_to<forget_peer_atom, uint64_t>>;

// The remote interfaces (gateway and sessions) are in messages/session.hpp.

} // namespace statekeeper
