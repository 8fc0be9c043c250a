// Starting and stopping statekeeper inside an existing CAF actor system.
// Call from any thread that owns a reference to the actor system.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>

#include "actors/service_options.hpp"
#include "backends/storage.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper {

/// Spawns the service (router and timer) in `sys` and returns the router,
/// the handle for every operation. `engine` defaults to a new in-memory
/// engine; the service takes it over. With `opts.postgres` the data lives in
/// PostgreSQL and `engine` must be null. The actor system's config must have
/// gone through `register_types` (messages/register.hpp).
/// Errors: `invalid_argument` naming an option that cannot work, or for an
/// engine passed with PostgreSQL options; `storage_unavailable` if the
/// database cannot be reached within `postgres.startup_wait`.
/// The service runs until `stop_service`; the actor system's destructor
/// waits for that.
caf::expected<router_actor>
spawn_service(caf::actor_system& sys, const service_options& opts = {},
              std::shared_ptr<storage_engine> engine = nullptr);

/// Sets the scheduler of `cfg` for a process whose work is the service:
/// one worker per core (CAF's default is at least four), and idle workers
/// that sleep until work arrives (CAF's default has them wake every 50 µs
/// for a while to look for it). Where other threads share the cores (the
/// HTTP gateway's, the clients'), the extra workers and their wake-ups
/// took time from them. Options read after this (a config file, the
/// command line) override both. The standalone binary calls it (and so do
/// the benches that measure it: HTTP, remote); an application that embeds
/// the service keeps its own.
inline void use_service_scheduler(caf::actor_system_config& cfg) {
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", cores);
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
}

/// Asks the service behind `router` to stop: the router, every namespace
/// actor and the timer terminate. Returns at once; the actor system's
/// destructor (or `await_all_actors_done`) waits for them.
void stop_service(const router_actor& router);

} // namespace statekeeper
