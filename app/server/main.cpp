// The standalone statekeeper service: runs the service until SIGINT or
// SIGTERM, then stops every actor and exits 0.
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/defaults.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/blocking_client.hpp"
#include "actors/remote/remote.hpp"
#include "actors/service.hpp"
#include "app/server/config.hpp"
#include "app/server/connection_limit.hpp"
#include "messages/error.hpp"

namespace {

// Each connection holds a descriptor: take all the hard limit allows, so
// that the service is not the first to run out. Returns the soft limit now
// in force.
rlim_t raise_descriptor_limit() {
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    auto wanted = lim;
    wanted.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0)
      return wanted.rlim_cur;
  }
  return lim.rlim_cur;
}

} // namespace

int main(int argc, char** argv) {
  // Block the stop signals before CAF starts its threads, which inherit the
  // mask; then only the sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  statekeeper::app_config cfg;
  // CAF's --help lists only its global options and no defaults; ours lists
  // every option with its default.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (auto& arg : args)
    if (arg == "--help" || arg == "-h" || arg == "-?" || arg == "--long-help") {
      cfg.print_help(std::cout);
      return 0;
    }
  if (auto err = cfg.parse(std::move(args), "statekeeper.ini")) {
    std::cerr << "statekeeper: bad configuration: " << cfg.render(err)
              << std::endl;
    return 2;
  }
  // Before the actor system exists our errors render through their context.
  auto bad_configuration = [](const caf::error& err) {
    std::cerr << "statekeeper: bad configuration: "
              << statekeeper::context_of(err) << std::endl;
    return 2;
  };
  if (cfg.cli_helptext_printed)
    return 0;
  auto opts = cfg.make_service_options();
  if (!opts)
    return bad_configuration(opts.error());
  auto remote = cfg.make_remote_options();
  if (!remote)
    return bad_configuration(remote.error());
  if (auto err = statekeeper::validate_tls(cfg))
    return bad_configuration(err);
  if (!remote->tls && statekeeper::mutual_tls(cfg)) {
    std::cerr << "statekeeper: bad configuration: openssl.* certificate "
                 "options are set but statekeeper.tls is false"
              << std::endl;
    return 2;
  }
  if (cfg.max_connections == 0) {
    std::cerr << "statekeeper: bad configuration: "
                 "statekeeper.max-connections must be at least 1"
              << std::endl;
    return 2;
  }
  auto descriptors = raise_descriptor_limit();
  statekeeper::limit_connections(cfg.max_connections);
  // OpenSSL is set up only for a service that serves TLS.
  if (remote->tls)
    cfg.load<caf::openssl::manager>();
  caf::actor_system sys{cfg};
  auto router = statekeeper::spawn_service(sys, *opts);
  if (!router) {
    std::cerr << "statekeeper: cannot start: " << sys.render(router.error())
              << std::endl;
    return 2;
  }
  auto port = statekeeper::publish_service(sys, *router, *remote);
  if (!port) {
    std::cerr << "statekeeper: cannot listen on " << remote->address << ":"
              << remote->port << ": " << sys.render(port.error()) << std::endl;
    statekeeper::stop_service(*router);
    return 2;
  }
  if (statekeeper::exposed_without_client_auth(sys.config(), *remote))
    std::cout << "statekeeper: WARNING: listening on " << remote->address
              << " without TLS client certificates "
                 "(statekeeper.insecure-no-client-auth): anyone who reaches "
                 "the port can make the service allocate memory before any "
                 "check"
              << std::endl;
  auto threads = caf::get_or(sys.config(), "scheduler.max-threads",
                             caf::defaults::scheduler::max_threads);
  std::cout << "statekeeper: serving namespaces on " << remote->address << ":"
            << *port << " ("
            << (remote->tokens.empty()
                    ? "open: no authentication"
                    : std::to_string(remote->tokens.size()) + " access tokens")
            << ", "
            << (!remote->tls                   ? "plain TCP"
                : statekeeper::mutual_tls(cfg) ? "TLS, client certificates "
                                                 "required"
                                               : "anonymous TLS: encrypted, "
                                                 "nobody verified")
            << "; backend=" << cfg.backend;
  if (opts->postgres)
    std::cout << ", durability=" << cfg.durability_mode
              << ", connections=" << opts->postgres->connections;
  std::cout << ", scheduler threads=" << threads
            << ", sweep interval=" << caf::deep_to_string(opts->sweep_interval)
            << ", pinned namespaces=" << (opts->pin_namespaces ? "yes" : "no")
            << ", file descriptors=" << descriptors
            << ", max connections=" << cfg.max_connections << ")" << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  std::cout << "statekeeper: " << strsignal(received) << ", stopping"
            << std::endl;
  // Commit what async durability acknowledged before stopping.
  if (opts->postgres) {
    statekeeper::blocking_client client{sys, *router, opts->postgres->timeout};
    if (auto done = client.sync(); !done)
      std::cerr << "statekeeper: final sync failed: "
                << sys.render(done.error()) << std::endl;
  }
  statekeeper::stop_service(*router);
  sys.await_all_actors_done();
  std::cout << "statekeeper: stopped" << std::endl;
  return 0;
}
