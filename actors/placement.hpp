// Placement: which actor owns a namespace. The router's table of active
// owners, and the only code that activates an owner (finds it, or spawns it
// on its store or persistence actor) and retires one (passivation, or its
// death). Called only by the router actor, in its handlers. This is the seam
// for owners that callers cache, or that run on other nodes.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timestamp.hpp>

#include "messages/internal.hpp"
#include "messages/namespace_path.hpp"
#include "messages/persistence.hpp"

namespace statekeeper {

struct router_state;
using router_pointer = service_router_actor::stateful_pointer<router_state>;

/// The active owners. Part of the router's state.
struct placement {
  struct owner {
    namespace_path ns;
    namespace_actor handle;
    /// When it was last resolved for a request (passivation).
    caf::timestamp last_used;
    /// Passivation asked it to drain; resolving it again calls that off
    /// (and tells the owner to `resume`).
    bool retiring = false;
    /// Its place in `by_use` while it is not retiring.
    std::list<std::string>::iterator use_order;
    /// Numbers the drains sent to it: a reply counts only for the latest
    /// (an earlier drain's reply may come after a later drain was sent).
    uint64_t drains = 0;
    /// Watches open on it, as it reported them (stats).
    int64_t watchers = 0;
  };
  /// Active owners by rendered namespace.
  std::unordered_map<std::string, owner> owners;
  /// The active owners not retiring, least recently used first: the
  /// max-active-namespaces bound retires from the front.
  std::list<std::string> by_use;
  /// Rendered namespace of each active owner, to handle its down message.
  std::unordered_map<caf::actor_addr, std::string> names;
  /// Owners started, and retired by passivation (stats).
  uint64_t activations = 0;
  uint64_t passivations = 0;
  /// Entries the owners' sweeps removed, and watches open on them (stats).
  uint64_t expired_entries = 0;
  int64_t watchers = 0;
  /// Several nodes: owners that gave their namespace up (stats).
  uint64_t leases_lost = 0;
  /// Several nodes: owners retired because placement prefers another node
  /// for their namespace (stats); the view of the members they were
  /// checked against, and whether some are left to retire.
  uint64_t handovers = 0;
  uint64_t checked_generation = 0;
  bool handovers_left = false;
};

/// Counts what the owner `who` reported: entries its sweep removed and a
/// change in the number of its watches.
void count_usage(router_pointer self, const caf::actor_addr& who,
                 uint64_t expired, int64_t watchers);

/// Returns the owner of `ns`, activating it if it has none; retires the
/// least recently used owners beyond max-active-namespaces after an
/// activation. Errors: `invalid_argument` or `limit_exceeded` for a bad
/// namespace; `storage_unavailable` if the engine cannot open its store.
caf::expected<namespace_actor> resolve(router_pointer self,
                                       const namespace_path& ns);

/// Returns the active owners of namespaces at or under `prefix` (an empty
/// prefix: all of them).
std::vector<placement::owner> owners_within(router_pointer self,
                                            const namespace_path& prefix);

/// Retires owners idle for longer than passivate-after, and the least
/// recently used beyond max-active-namespaces. See "Passivation" in
/// docs/architecture.md for the two steps that lose no request.
void retire_idle(router_pointer self);

/// Several nodes: retires (as passivation does) the owners of namespaces
/// that placement now prefers another node for, at most
/// `max_handovers_per_tick` at a time, so that a node that joins takes
/// over its share; not those with watches open. Checks again once the view
/// of the members changed, and on the next tick after one that found
/// some.
void hand_over_misplaced(router_pointer self);

constexpr size_t max_handovers_per_tick = 256;

/// Forgets an owner that stopped (`msg` from its monitor): the next request
/// activates its namespace again. Ignores a message about another actor.
void owner_down(router_pointer self, const caf::down_msg& msg);

/// The persistence actor of the namespace rendered as `name` (with
/// PostgreSQL; by hash, so it is always the same one).
const persistence_actor& persistence_of(router_pointer self,
                                        const std::string& name);

} // namespace statekeeper
