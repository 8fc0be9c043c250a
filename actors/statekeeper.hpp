// The one header a CAF application includes to embed statekeeper:
//   statekeeper::register_types(cfg);               // before the actor system
//   auto router = statekeeper::spawn_service(sys);  // the typed handle
//   statekeeper::blocking_client client{sys, *router};
// Installed as <statekeeper/statekeeper.hpp>.
#pragma once

#include "actors/blocking_client.hpp"
#include "actors/owner_cache.hpp"
#include "actors/remote/remote.hpp"
#include "actors/service.hpp"
#include "actors/service_options.hpp"
#include "backends/memory/memory_storage.hpp"
#include "backends/storage.hpp"
#include "messages/atoms.hpp"
#include "messages/change.hpp"
#include "messages/entry.hpp"
#include "messages/error.hpp"
#include "messages/interfaces.hpp"
#include "messages/namespace_path.hpp"
#include "messages/register.hpp"
