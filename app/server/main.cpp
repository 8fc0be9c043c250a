// The standalone statekeeper service: runs the service until SIGINT or
// SIGTERM, then stops every actor and exits 0.
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/defaults.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/blocking_client.hpp"
#include "actors/http/http_gateway.hpp"
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

/// Blocks SIGINT and SIGTERM in this thread, before CAF starts its threads,
/// which inherit the mask: then only `sigwait` on the result receives them.
sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

int bad_configuration(const std::string& what) {
  std::cerr << "statekeeper: bad configuration: " << what << std::endl;
  return 2;
}

/// What the configuration asks for, checked.
struct checked_options {
  statekeeper::service_options service;
  statekeeper::remote_options remote;
  /// None: no HTTP gateway.
  std::optional<statekeeper::http_options> http;
};

/// Parses the command line and statekeeper.ini into `cfg` and checks them.
/// Returns the options, or the exit status: 0 after help, 2 for a bad
/// configuration (said on stderr).
std::variant<checked_options, int> configure(statekeeper::app_config& cfg,
                                             std::vector<std::string> args) {
  // CAF's --help lists only its global options and no defaults; ours lists
  // every option with its default.
  for (auto& arg : args)
    if (arg == "--help" || arg == "-h" || arg == "-?" || arg == "--long-help") {
      cfg.print_help(std::cout);
      return 0;
    }
  if (auto err = cfg.parse(std::move(args), "statekeeper.ini"))
    return bad_configuration(cfg.render(err));
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto err = cfg.apply_nested_groups())
    return bad_configuration(statekeeper::context_of(err));
  // Before the actor system exists our errors render through their context.
  auto opts = cfg.make_service_options();
  if (!opts)
    return bad_configuration(statekeeper::context_of(opts.error()));
  auto remote = cfg.make_remote_options();
  if (!remote)
    return bad_configuration(statekeeper::context_of(remote.error()));
  if (auto err = statekeeper::validate_tls(cfg))
    return bad_configuration(statekeeper::context_of(err));
  if (!remote->tls && statekeeper::mutual_tls(cfg))
    return bad_configuration("openssl.* certificate options are set but "
                             "statekeeper.tls is false");
  if (cfg.max_connections == 0)
    return bad_configuration("statekeeper.max-connections must be at least 1");
  auto http = cfg.make_http_options(*remote);
  if (!http)
    return bad_configuration(statekeeper::context_of(http.error()));
  return checked_options{std::move(*opts), std::move(*remote),
                         std::move(*http)};
}

/// Prints the start line (tests and operators read the port from it), and
/// a warning for a listener that anyone may reach.
void announce(caf::actor_system& sys, const statekeeper::app_config& cfg,
              const checked_options& opts, uint16_t port, rlim_t descriptors) {
  auto& remote = opts.remote;
  if (statekeeper::exposed_without_client_auth(sys.config(), remote))
    std::cout << "statekeeper: WARNING: listening on " << remote.address
              << " without TLS client certificates "
                 "(statekeeper.insecure-no-client-auth): anyone who reaches "
                 "the port can make the service allocate memory before any "
                 "check"
              << std::endl;
  auto threads = caf::get_or(sys.config(), "scheduler.max-threads",
                             caf::defaults::scheduler::max_threads);
  std::cout << "statekeeper: serving namespaces on " << remote.address << ":"
            << port << " ("
            << (remote.tokens.empty()
                    ? "open: no authentication"
                    : std::to_string(remote.tokens.size()) + " access tokens")
            << ", "
            << (!remote.tls                    ? "plain TCP"
                : statekeeper::mutual_tls(cfg) ? "TLS, client certificates "
                                                 "required"
                                               : "anonymous TLS: encrypted, "
                                                 "nobody verified")
            << "; backend=" << cfg.backend;
  if (opts.service.postgres)
    std::cout << ", durability=" << cfg.durability_mode
              << ", connections=" << opts.service.postgres->connections;
  std::cout << ", scheduler threads=" << threads << ", sweep interval="
            << caf::deep_to_string(opts.service.sweep_interval)
            << ", pinned namespaces="
            << (opts.service.pin_namespaces ? "yes" : "no")
            << ", file descriptors=" << descriptors
            << ", max connections=" << cfg.max_connections << ")" << std::endl;
}

/// Prints the HTTP gateway's line, after the start line.
void announce_http(const statekeeper::http_options& opts, uint16_t port) {
  std::cout << "statekeeper: serving HTTP on " << opts.address << ":" << port
            << " ("
            << (opts.tokens.empty()
                    ? "open: no authentication"
                    : std::to_string(opts.tokens.size()) + " bearer tokens")
            << ", " << (statekeeper::serves_tls(opts) ? "HTTPS" : "plain HTTP")
            << ", max connections=" << opts.max_connections
            << ", network threads=" << opts.threads << ")" << std::endl;
}

/// Commits what async durability acknowledged, then stops every actor.
void stop(caf::actor_system& sys, const statekeeper::router_actor& router,
          const statekeeper::service_options& opts) {
  if (opts.postgres) {
    statekeeper::blocking_client client{sys, router, opts.postgres->timeout};
    if (auto done = client.sync(); !done)
      std::cerr << "statekeeper: final sync failed: "
                << sys.render(done.error()) << std::endl;
  }
  statekeeper::stop_service(router);
  sys.await_all_actors_done();
}

} // namespace

int main(int argc, char** argv) {
  auto stop_signals = block_stop_signals();
  statekeeper::app_config cfg;
  auto configured =
      configure(cfg, std::vector<std::string>(argv + 1, argv + argc));
  if (auto* status = std::get_if<int>(&configured))
    return *status;
  auto& opts = std::get<checked_options>(configured);
  auto descriptors = raise_descriptor_limit();
  statekeeper::limit_connections(cfg.max_connections);
  // OpenSSL is set up only for a service that serves TLS.
  if (opts.remote.tls)
    cfg.load<caf::openssl::manager>();
  caf::actor_system sys{cfg};
  auto router = statekeeper::spawn_service(sys, opts.service);
  if (!router) {
    std::cerr << "statekeeper: cannot start: " << sys.render(router.error())
              << std::endl;
    return 2;
  }
  auto port = statekeeper::publish_service(sys, *router, opts.remote);
  if (!port) {
    std::cerr << "statekeeper: cannot listen on " << opts.remote.address << ":"
              << opts.remote.port << ": " << sys.render(port.error())
              << std::endl;
    statekeeper::stop_service(*router);
    return 2;
  }
  announce(sys, cfg, opts, *port, descriptors);
  std::unique_ptr<statekeeper::http_gateway> http;
  if (opts.http) {
    auto started = statekeeper::http_gateway::start(sys, *router, *opts.http);
    if (!started) {
      std::cerr << "statekeeper: cannot start HTTP: "
                << sys.render(started.error()) << std::endl;
      statekeeper::stop_service(*router);
      return 2;
    }
    http = std::move(*started);
    announce_http(*opts.http, http->port());
  }
  int received = 0;
  sigwait(&stop_signals, &received);
  std::cout << "statekeeper: " << strsignal(received) << ", stopping"
            << std::endl;
  // The gateway stops taking requests first, and goes once no actor can
  // answer through it any more: its event streams end with the `dropped`
  // events of the stopping owners.
  if (http)
    http->drain();
  stop(sys, *router, opts.service);
  http.reset();
  std::cout << "statekeeper: stopped" << std::endl;
  return 0;
}
