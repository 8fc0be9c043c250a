#include "actors/remote.hpp"

#include <caf/io/middleman.hpp>

#include "messages/error.hpp"

namespace statekeeper {

caf::expected<uint16_t> publish_service(caf::actor_system& sys,
                                        const router_actor& router,
                                        uint16_t port,
                                        const std::string& address) {
  return sys.middleman().publish(router, port, address.c_str());
}

caf::expected<router_actor> connect_service(caf::actor_system& sys,
                                            const std::string& host,
                                            uint16_t port) {
  auto router = sys.middleman().remote_actor<router_actor>(host, port);
  if (!router && router.error().category() == caf::atom("system"))
    return make_error(error_code::storage_unavailable,
                      "cannot reach statekeeper at " + host + ":"
                        + std::to_string(port) + ": "
                        + sys.render(router.error()));
  return router;
}

} // namespace statekeeper
