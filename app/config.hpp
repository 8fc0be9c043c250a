// Configuration of the standalone binary: CAF's own options (scheduler,
// logging, ...) plus a `statekeeper` group mirroring service_options. Read
// from the config file (`--config-file=`, default statekeeper.ini) and then
// from `--key=value` flags; `--help` lists every option.
#pragma once

#include <caf/actor_system_config.hpp>

#include "actors/service_options.hpp"

namespace statekeeper {

class app_config : public caf::actor_system_config {
public:
  app_config();

  service_options service;
};

} // namespace statekeeper
