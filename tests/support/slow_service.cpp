// Helper for the remote failure test: serves a service whose store lingers
// for a second on every call, on a free port it prints as "port <n>", until
// it is killed.
#include <cstdio>
#include <memory>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

#include "actors/remote/remote.hpp"
#include "actors/service.hpp"
#include "messages/register.hpp"
#include "tests/support/instrumented_engine.hpp"

int main() {
  caf::actor_system_config cfg;
  statekeeper::register_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto p = std::make_shared<statekeeper::test::probe>();
  p->linger_us = 1'000'000;
  auto engine = std::make_shared<statekeeper::test::instrumented_engine>(p);
  auto router = statekeeper::spawn_service(
    sys, statekeeper::service_options{}, engine);
  statekeeper::remote_options opts;
  opts.port = 0;
  auto port = router ? statekeeper::publish_service(sys, *router, opts)
                     : caf::expected<uint16_t>{router.error()};
  if (!port) {
    std::fprintf(stderr, "%s\n", sys.render(port.error()).c_str());
    return 1;
  }
  std::printf("port %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  for (;;)
    pause();
}
