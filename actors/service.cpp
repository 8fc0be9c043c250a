#include "actors/service.hpp"

#include <caf/send.hpp>

#include "actors/router_actor.hpp"
#include "backends/memory_storage.hpp"
#include "messages/error.hpp"

namespace statekeeper {

caf::error validate(const service_options& opts) {
  auto bad = [](const char* option, const char* why) {
    return make_error(error_code::invalid_argument,
                      std::string{option} + " " + why);
  };
  auto& lim = opts.limits;
  if (lim.max_key_bytes == 0)
    return bad("max-key-bytes", "must be at least 1");
  if (lim.max_namespace_bytes == 0)
    return bad("max-namespace-bytes", "must be at least 1");
  if (lim.max_batch == 0)
    return bad("max-batch", "must be at least 1");
  if (lim.max_page == 0)
    return bad("max-page", "must be at least 1");
  if (lim.max_ttl.count() <= 0)
    return bad("max-ttl", "must be positive");
  if (opts.sweep_interval.count() <= 0)
    return bad("sweep-interval", "must be positive");
  if (opts.sweep_batch == 0)
    return bad("sweep-batch", "must be at least 1");
  if (opts.internal_timeout.count() <= 0)
    return bad("internal-timeout", "must be positive");
  return caf::none;
}

caf::expected<router_actor> spawn_service(caf::actor_system& sys,
                                          const service_options& opts,
                                          std::shared_ptr<storage_engine> engine) {
  if (auto err = validate(opts))
    return err;
  if (!engine)
    engine = make_memory_engine();
  return sys.spawn(router_actor_impl, opts, std::move(engine));
}

void stop_service(const router_actor& router) {
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

} // namespace statekeeper
