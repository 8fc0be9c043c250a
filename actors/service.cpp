#include "actors/service.hpp"

#include <chrono>
#include <thread>

#include <caf/send.hpp>

#include "actors/membership.hpp"
#include "actors/router_actor.hpp"
#include "backends/memory/memory_storage.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace {

/// Connects once (and applies migrations) so that a service that cannot
/// reach its database says so at start, retrying for `startup_wait`.
caf::expected<std::unique_ptr<durable_store>>
check_database(const postgres_options& pg) {
  auto deadline = std::chrono::steady_clock::now() + pg.startup_wait;
  for (;;) {
    auto probe = postgres_store_factory(pg.conninfo)();
    auto err = probe->connect();
    if (!err)
      return probe;
    if (std::chrono::steady_clock::now() >= deadline)
      return err;
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

/// Checks the options and the database; on one of several nodes, joins the
/// cluster, so that the node holds its namespaces' leases from its first
/// request on. Returns the node's membership (null on a single node).
caf::expected<std::shared_ptr<node_membership>>
validate_and_check(const service_options& opts) {
  if (auto err = validate(opts))
    return err;
  if (!opts.postgres)
    return nullptr;
  auto db = check_database(*opts.postgres);
  if (!db)
    return std::move(db.error());
  if (!opts.cluster)
    return nullptr;
  auto node = std::make_shared<node_membership>(*opts.cluster);
  auto started = node_membership::clock::now();
  if (auto err = (*db)->join(node->me()))
    return err;
  node->renewed(started, caf::timespan{0});
  return node;
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
  auto node = validate_and_check(opts);
  if (!node)
    return std::move(node.error());
  if (!opts.postgres && !engine)
    engine = make_memory_engine();
  return caf::actor_cast<router_actor>(
      sys.spawn(router_actor_impl, opts, std::move(engine), std::move(*node)));
}

void stop_service(const router_actor& router) {
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

} // namespace statekeeper
