// The watch command of statekeeper-cli: prints the events of one watch as
// they arrive, until SIGINT or SIGTERM, or until the watch ends (the service
// dropped it, or the connection was lost). Events are printed on the CAF
// thread that receives them, so a slow reader of standard output slows the
// watch down as the service sees it; the calling thread only waits. Call
// `block_stop_signals` on the main thread before the actor system starts,
// then `run_watch` from that thread.
#pragma once

#include <caf/actor_system.hpp>

#include "app/cli/cli_args.hpp"
#include "messages/interfaces.hpp"

namespace statekeeper::cli {

/// Blocks SIGINT and SIGTERM in the calling thread and in every thread
/// started from it later (CAF's included, which inherit the mask), so that
/// only `run_watch` receives them.
void block_stop_signals();

/// Watches `inv.ns` (keys under `inv.prefixes`, from the cursor `inv.from` if
/// set) through `router` and prints each event on standard output as
/// `render_event` does, one write per batch; plain output leaves progress
/// events out unless `inv.progress`. Returns the exit status: 0 after
/// SIGINT or SIGTERM; 2, with the reason on standard error, when the watch
/// cannot start (cursor_expired: `inv.from` is older than the namespace's
/// history, or of another incarnation), when the service drops it (the
/// message names the cursor to resume from), when the service stops answering
/// (connection lost, or no answer within the connection's timeout) or when
/// standard output cannot be written.
[[nodiscard]] int run_watch(caf::actor_system& sys, const router_actor& router,
                            const invocation& inv);

} // namespace statekeeper::cli
