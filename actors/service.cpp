#include "actors/service.hpp"

#include <chrono>
#include <thread>

#include <caf/send.hpp>

#include "actors/router_actor.hpp"
#include "backends/memory_storage.hpp"
#include "backends/postgres_backend.hpp"
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
  if (opts.watch_max_lag == 0)
    return bad("watch-max-lag", "must be at least 1");
  if (opts.watch_ack_timeout.count() <= 0)
    return bad("watch-ack-timeout", "must be positive");
  if (opts.sweep_batch == 0)
    return bad("sweep-batch", "must be at least 1");
  if (opts.internal_timeout.count() <= 0)
    return bad("internal-timeout", "must be positive");
  if (opts.passivate_after.count() <= 0)
    return bad("passivate-after", "must be positive");
  if (auto& pg = opts.postgres) {
    if (pg->connections == 0)
      return bad("postgres.connections", "must be at least 1");
    if (pg->timeout.count() <= 0)
      return bad("postgres.timeout", "must be positive");
    if (pg->async_delay.count() < 0)
      return bad("postgres.async-delay", "must not be negative");
    if (pg->async_max_pending == 0)
      return bad("postgres.async-max-pending", "must be at least 1");
    if (pg->reconnect_min.count() <= 0 || pg->reconnect_max < pg->reconnect_min)
      return bad("postgres.reconnect-min/max",
                 "must be positive, min at most max");
    if (pg->purge_batch == 0)
      return bad("postgres.purge-batch", "must be at least 1");
  }
  return caf::none;
}

namespace {

/// Connects once (and applies migrations) so that a service that cannot
/// reach its database says so at start, retrying for `startup_wait`.
caf::error check_database(const postgres_options& pg) {
  auto deadline = std::chrono::steady_clock::now() + pg.startup_wait;
  for (;;) {
    postgres_backend probe{pg.conninfo};
    auto err = probe.connect();
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
  if (auto err = validate_and_check(opts))
    return err;
  if (opts.postgres)
    engine = nullptr;
  else if (!engine)
    engine = make_memory_engine();
  return caf::actor_cast<router_actor>(
      sys.spawn(router_actor_impl, opts, std::move(engine)));
}

void stop_service(const router_actor& router) {
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

} // namespace statekeeper
