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

/// A `not_owner` error saying `what`, naming `holder` as the namespace's
/// owner.
caf::error owned_elsewhere(std::string what, const member_info& holder);

/// The owner a `not_owner` error names, if it names one.
caf::optional<member_info> holder_of(const caf::error& err);

} // namespace statekeeper
