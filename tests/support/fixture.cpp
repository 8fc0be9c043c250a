#include "tests/support/fixture.hpp"

#include <stdexcept>

#include "messages/register.hpp"

namespace statekeeper::test {

service_options test_options() {
  service_options opts;
  opts.limits.max_key_bytes = 64;
  opts.limits.max_value_bytes = 1024;
  opts.limits.max_namespace_bytes = 128;
  opts.limits.max_batch = 16;
  opts.limits.max_page = 100;
  opts.sweep_interval = std::chrono::hours{1};
  return opts;
}

test_config::test_config() {
  register_types(*this);
  set("scheduler.max-threads", 4);
}

namespace {

router_actor must_spawn(caf::actor_system& sys, const service_options& opts,
                        std::shared_ptr<storage_engine> engine) {
  auto router = spawn_service(sys, opts, std::move(engine));
  if (!router)
    throw std::runtime_error("spawn_service failed: "
                             + sys.render(router.error()));
  return *router;
}

} // namespace

service_fixture::service_fixture(service_options opts,
                                 std::shared_ptr<storage_engine> engine)
  : sys(cfg),
    router(must_spawn(sys, opts, std::move(engine))),
    client(sys, router) {
  // nop
}

service_fixture::~service_fixture() {
  stop_service(router);
}

} // namespace statekeeper::test
