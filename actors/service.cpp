#include "actors/service.hpp"

#include <chrono>
#include <thread>

#include <caf/send.hpp>

#include "actors/router_actor.hpp"
#include "backends/memory/memory_storage.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

/// Connects once (and applies migrations) so that a service that cannot
/// reach its database says so at start, retrying for `startup_wait`.
caf::error check_database(const postgres_options& pg) {
  auto deadline = std::chrono::steady_clock::now() + pg.startup_wait;
  for (;;) {
    auto probe = postgres_store_factory(pg.conninfo)();
    auto err = probe->connect();
    if (!err || std::chrono::steady_clock::now() >= deadline)
      return err;
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

caf::error validate_and_check(const service_options& opts) {
  if (auto err = validate(opts))
    return err;
  if (opts.postgres)
    return check_database(*opts.postgres);
  return caf::none;
}

} // namespace

caf::expected<router_actor>
spawn_service(caf::actor_system& sys, const service_options& opts,
              std::shared_ptr<storage_engine> engine) {
  if (opts.postgres && engine)
    return make_error(error_code::invalid_argument,
                      "a storage engine was passed together with PostgreSQL "
                      "options: the service keeps its data in one of them; "
                      "pass either");
  if (auto err = validate_and_check(opts))
    return err;
  if (!opts.postgres && !engine)
    engine = make_memory_engine();
  return caf::actor_cast<router_actor>(
      sys.spawn(router_actor_impl, opts, std::move(engine)));
}

void stop_service(const router_actor& router) {
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

} // namespace statekeeper
