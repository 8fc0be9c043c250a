// Several nodes: what the service knows of a member of the cluster. Plain
// values; any thread.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace statekeeper {

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

} // namespace statekeeper
