// Several nodes: what the service knows of a member of the cluster, and the
// owner a `not_owner` error names, so that a caller can send the request
// there. Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timespan.hpp>

namespace statekeeper {

/// peer(member) -> a session with that node (owner_directory); and
/// forget_peer(member id): its connection failed, connect again next time.
using peer_atom = caf::atom_constant<caf::atom("peer")>;
using forget_peer_atom = caf::atom_constant<caf::atom("forgetpeer")>;

/// One node of the cluster, as it registered itself.
struct member_info {
  /// Random, never 0, new on every start of the node.
  uint64_t id = 0;
  /// How operators see it (cluster.node-name).
  std::string name;
  /// Where other nodes and clients reach it (its CAF port).
  std::string address;
  uint16_t port = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("member_info"), x.id, x.name, x.address,
           x.port);
}

/// A member as the cluster's database sees it (statekeeper-cli cluster).
struct member_status {
  member_info member;
  /// Whether its last heartbeat is within the member timeout.
  bool live = false;
  /// How long ago its last heartbeat was, by the database's clock.
  caf::timespan heartbeat_age{0};
  /// The namespaces it holds the lease of.
  uint64_t namespaces = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(caf::meta::type_name("member_status"), x.member, x.live,
           x.heartbeat_age, x.namespaces);
}

/// A `not_owner` error saying `what`, naming `holder` as the namespace's
/// owner.
caf::error owned_elsewhere(std::string what, const member_info& holder);

/// The owner a `not_owner` error names, if it names one.
caf::optional<member_info> holder_of(const caf::error& err);

} // namespace statekeeper
