#include "app/server/config.hpp"

#include <unistd.h>

#include <caf/config_option.hpp>
#include <caf/config_value.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include "actors/service.hpp"
#include "messages/error.hpp"
#include "messages/register.hpp"

namespace statekeeper {

namespace {

// Appends the default, taken from the field itself so it cannot drift.
template <class T> std::string with_default(const char* text, const T& value) {
  return std::string{text} + " (default: " + caf::deep_to_string(value) + ")";
}

std::string str(caf::string_view x) {
  return std::string{x.data(), x.size()};
}

std::string with_default(const char* text, const std::string& value) {
  return std::string{text} + " (default: \"" + value + "\")";
}

} // namespace

app_config::app_config() {
  load<caf::io::middleman>();
  register_types(*this);
  use_service_scheduler(*this);
  auto& lim = service.limits;
  opt_group{custom_options_, "statekeeper"}
      .add(backend, "backend",
           with_default("where data lives: memory or postgres", backend))
      .add(remote.address, "listen-address",
           with_default("address the service is published on (CAF "
                        "networking)",
                        remote.address))
      .add(remote.port, "port",
           with_default("TCP port of the service; 0 picks a free one",
                        remote.port))
      .add(remote.tls, "tls",
           with_default("serve TLS; certificate, key and CA are the openssl.* "
                        "options (with openssl.cafile set, clients need a "
                        "certificate signed by it)",
                        remote.tls))
      .add(remote.insecure_no_client_auth, "insecure-no-client-auth",
           with_default("allow a listen-address other than loopback without "
                        "TLS client certificates: anyone who reaches the port "
                        "can then make the service allocate memory",
                        remote.insecure_no_client_auth))
      .add(tokens, "tokens",
           "access tokens as \"tenant:token\" strings; tenant * opens every "
           "namespace; put them in the config file, not on the command line "
           "(default: none, the service is open)")
      .add(max_connections, "max-connections",
           with_default("most client connections open at once; newer ones "
                        "are closed as soon as they are accepted",
                        max_connections))
      .add(remote.max_in_flight, "max-requests-in-flight",
           with_default("most requests of one remote session waiting for "
                        "their reply",
                        remote.max_in_flight))
      .add(remote.max_request_bytes, "max-request-bytes",
           with_default("largest remote request (keys, values, prefixes "
                        "added up) in bytes",
                        remote.max_request_bytes))
      .add(remote.request_timeout, "request-timeout",
           with_default("how long a remote session waits for the service to "
                        "answer one request",
                        remote.request_timeout))
      .add(lim.max_key_bytes, "max-key-bytes",
           with_default("longest key in bytes", lim.max_key_bytes))
      .add(lim.max_value_bytes, "max-value-bytes",
           with_default("largest value in bytes", lim.max_value_bytes))
      .add(lim.max_namespace_bytes, "max-namespace-bytes",
           with_default("longest rendered namespace in bytes",
                        lim.max_namespace_bytes))
      .add(lim.max_batch, "max-batch",
           with_default("most items in get_many/put_many/erase_many",
                        lim.max_batch))
      .add(lim.max_page, "max-page",
           with_default("largest page of list_keys/scan", lim.max_page))
      .add(lim.max_ttl, "max-ttl", with_default("longest TTL", lim.max_ttl))
      .add(service.sweep_interval, "sweep-interval",
           with_default("shortest time between two sweeps of a namespace; "
                        "also the period of progress events, passivation "
                        "and purging",
                        service.sweep_interval))
      .add(service.sweep_batch, "sweep-batch",
           with_default("most entries one namespace evicts per sweep",
                        service.sweep_batch))
      .add(service.pin_namespaces, "pin-namespaces",
           with_default("give every namespace actor its own OS thread",
                        service.pin_namespaces))
      .add(service.passivate_after, "passivate-after",
           with_default("stop a namespace actor idle this long (in memory: "
                        "only never-written namespaces)",
                        service.passivate_after))
      .add(service.max_active_namespaces, "max-active-namespaces",
           with_default("most namespace actors running; beyond it the least "
                        "recently used stop; 0: no limit",
                        service.max_active_namespaces))
      .add(service.internal_timeout, "internal-timeout",
           with_default("how long the router waits on namespace actors",
                        service.internal_timeout))
      .add(service.watch_history, "watch-history",
           with_default("change records each namespace keeps for watchers "
                        "resuming from a revision",
                        service.watch_history))
      .add(service.watch_max_lag, "watch-max-lag",
           with_default("most unacknowledged events before a watcher is "
                        "dropped",
                        service.watch_max_lag))
      .add(service.watch_ack_timeout, "watch-ack-timeout",
           with_default("longest a watcher may take with one batch of events",
                        service.watch_ack_timeout));
  opt_group{custom_options_, "statekeeper.http"}
      .add(http_port, "port",
           with_default("TCP port of the HTTP gateway; 0 picks a free one; "
                        "-1: no HTTP",
                        http_port))
      .add(http.address, "address",
           with_default("address the HTTP gateway listens on", http.address))
      .add(http.certificate, "certificate",
           "PEM file of the certificate (chain) for HTTPS; with key, the "
           "gateway serves HTTPS only (default: none)")
      .add(http.key, "key",
           "PEM file of the private key for HTTPS "
           "(default: none)")
      .add(http.insecure_plaintext, "insecure-plaintext",
           with_default("allow an address other than loopback without HTTPS "
                        "(tokens and data cross the network in clear text)",
                        http.insecure_plaintext))
      .add(http.max_body_bytes, "max-body-bytes",
           with_default("largest request body in bytes; larger gets 413",
                        http.max_body_bytes))
      .add(http.max_buffered_bytes, "max-buffered-bytes",
           with_default("most bytes of request bodies held at once, all "
                        "connections; a request beyond gets 429",
                        http.max_buffered_bytes))
      .add(http.max_header_bytes, "max-header-bytes",
           with_default("largest request line and headers in bytes; larger "
                        "gets 431",
                        http.max_header_bytes))
      .add(http.max_connections, "max-connections",
           with_default("most HTTP connections open at once; newer ones are "
                        "closed at once",
                        http.max_connections))
      .add(http.max_in_flight, "max-requests-in-flight",
           with_default("most HTTP requests waiting for the service; more "
                        "get 429",
                        http.max_in_flight))
      .add(http.idle_timeout, "idle-timeout",
           with_default("how long a kept-alive connection may wait for its "
                        "next request",
                        http.idle_timeout))
      .add(http.io_timeout, "io-timeout",
           with_default("how long a request may take to arrive (first byte "
                        "to last) and a response to be written",
                        http.io_timeout))
      .add(http.service_timeout, "service-timeout",
           with_default("how long the gateway waits for the service; then "
                        "504",
                        http.service_timeout))
      .add(http.threads, "threads",
           with_default("network threads of the HTTP gateway", http.threads));
  opt_group{custom_options_, "statekeeper.postgres"}
      .add(postgres.conninfo, "conninfo",
           with_default("libpq connection string or URI; empty: PG* "
                        "environment variables",
                        postgres.conninfo))
      .add(durability_mode, "durability",
           with_default("sync: acknowledge after commit; async: after the "
                        "in-memory apply, commit within async-delay",
                        durability_mode))
      .add(postgres.async_delay, "async-delay",
           with_default("async: longest wait of a write for its commit",
                        postgres.async_delay))
      .add(postgres.async_max_pending, "async-max-pending",
           with_default("async: most writes acknowledged and not yet "
                        "committed (what a crash can lose); more wait for room",
                        postgres.async_max_pending))
      .add(postgres.connections, "connections",
           with_default("persistence actors (one connection each)",
                        postgres.connections))
      .add(postgres.timeout, "timeout",
           with_default("how long a namespace waits for a load or commit",
                        postgres.timeout))
      .add(postgres.reconnect_min, "reconnect-min",
           with_default("first delay between reconnection attempts",
                        postgres.reconnect_min))
      .add(postgres.reconnect_max, "reconnect-max",
           with_default("longest delay between reconnection attempts",
                        postgres.reconnect_max))
      .add(postgres.purge_batch, "purge-batch",
           with_default("most expired rows of inactive namespaces deleted per "
                        "statement (up to ten per sweep-interval)",
                        postgres.purge_batch))
      .add(postgres.startup_wait, "startup-wait",
           with_default("how long to wait for PostgreSQL at start before "
                        "exiting; 0: exit at once",
                        postgres.startup_wait));
  // Empty: the listener's address (make_service_options).
  cluster.address.clear();
  opt_group{custom_options_, "statekeeper.cluster"}
      .add(cluster_enabled, "enable",
           with_default("be one node of several sharing the PostgreSQL "
                        "database: each namespace is owned by one node at a "
                        "time, under a lease (needs backend=postgres, "
                        "durability=sync)",
                        cluster_enabled))
      .add(cluster.peer_token, "peer-token",
           "the secret the nodes log in to each other with, the same on "
           "every node (required; it opens every namespace: keep it in the "
           "config file)")
      .add(cluster_port, "port",
           "the port other nodes reach this one on (default: "
           "statekeeper.port, which must then be fixed)")
      .add(cluster.node_name, "node-name",
           "how operators see this node (default: host name:port)")
      .add(cluster.address, "address",
           "where other nodes and clients reach this node (default: "
           "statekeeper.listen-address)")
      .add(cluster.heartbeat_interval, "heartbeat-interval",
           with_default("how often the node renews its membership",
                        cluster.heartbeat_interval))
      .add(cluster.member_timeout, "member-timeout",
           with_default("a node without heartbeat for this long is dead: "
                        "others take over its namespaces (and it stops "
                        "serving them a fifth of it earlier)",
                        cluster.member_timeout));
}

caf::expected<service_options> app_config::make_service_options() const {
  auto result = service;
  if (cluster_enabled) {
    auto node = cluster;
    if (node.address.empty())
      node.address = remote.address;
    if (cluster_port < 0 || cluster_port > 65535)
      return make_error(error_code::invalid_argument,
                        "statekeeper.cluster.port must be 0 to 65535");
    node.port =
        cluster_port > 0 ? static_cast<uint16_t>(cluster_port) : remote.port;
    node.tls = remote.tls;
    if (node.node_name.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      node.node_name = std::string{host} + ":" + std::to_string(node.port);
    }
    // spawn_service checks it with the rest (it needs PostgreSQL).
    result.cluster = std::move(node);
  }
  if (backend == "memory")
    return result;
  if (backend != "postgres")
    return make_error(error_code::invalid_argument,
                      "statekeeper.backend must be memory or postgres, got \"" +
                          backend + "\"");
  auto pg = postgres;
  if (durability_mode == "sync")
    pg.mode = durability::sync;
  else if (durability_mode == "async")
    pg.mode = durability::async;
  else
    return make_error(error_code::invalid_argument,
                      "statekeeper.postgres.durability must be sync or async, "
                      "got \"" +
                          durability_mode + "\"");
  result.postgres = std::move(pg);
  return result;
}

caf::expected<remote_options> app_config::make_remote_options() const {
  auto result = remote;
  for (auto& item : tokens) {
    auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      return make_error(error_code::invalid_argument,
                        "statekeeper.tokens: each entry must be "
                        "\"tenant:token\", got one without a tenant or "
                        "token");
    result.tokens.push_back({item.substr(0, colon), item.substr(colon + 1)});
  }
  if (cluster_enabled)
    result.peer_token = cluster.peer_token;
  if (auto err = validate(result))
    return err;
  return result;
}

caf::expected<std::optional<http_options>>
app_config::make_http_options(const remote_options& remote) const {
  if (http_port < 0)
    return std::optional<http_options>{};
  if (http_port > 65535)
    return make_error(error_code::invalid_argument,
                      "statekeeper.http.port must be at most 65535");
  auto result = http;
  result.port = static_cast<uint16_t>(http_port);
  result.tokens = remote.tokens;
  if (auto err = validate(result))
    return err;
  return std::optional<http_options>{std::move(result)};
}

caf::error app_config::apply_nested_groups() {
  auto text = [](caf::string_view x) {
    return std::string{x.begin(), x.end()};
  };
  for (const auto& opt : custom_options_) {
    if (opt.category().find('.') == caf::string_view::npos)
      continue; // stored by CAF's own parse
    // The command line's value, if any, replaced the file's here.
    auto value = caf::get_if(&content, opt.full_name());
    if (value == nullptr)
      continue;
    if (opt.check(*value))
      return make_error(error_code::invalid_argument,
                        text(opt.full_name()) + ": expected " +
                            text(opt.type_name()) +
                            " (strings are quoted in the config file, "
                            "durations are not)");
    opt.store(*value);
  }
  return caf::none;
}

void app_config::print_help(std::ostream& out) const {
  out << "statekeeper: a key/value state service\n\n"
         "Usage: statekeeper [--config-file=FILE] [--OPTION=VALUE ...]\n"
         "Options are read from FILE (default: statekeeper.ini), then from "
         "the command line.\n";
  // CAF's own options carry their defaults in the settings it dumps.
  auto defaults = dump_content();
  std::string category;
  for (auto& opt : custom_options_) {
    if (opt.category() != category) {
      category = str(opt.category());
      out << "\n" << category << ":\n";
    }
    auto name = str(opt.full_name());
    out << "  --" << name;
    if (opt.type_name() != "boolean")
      out << "=<" << opt.type_name() << ">";
    out << "\n      " << opt.description();
    auto description = str(opt.description());
    if (description.find("(default:") == std::string::npos)
      if (auto value = caf::get_if(&defaults, name))
        out << " (default: " << caf::to_string(*value) << ")";
    out << "\n";
  }
}

} // namespace statekeeper
