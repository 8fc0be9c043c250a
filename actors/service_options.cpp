#include "actors/service_options.hpp"

#include <string>

#include "messages/error.hpp"

namespace statekeeper {

caf::error validate(const service_options& opts) {
  auto bad = [](const char* option, const char* why) {
    return make_error(error_code::invalid_argument,
                      std::string{option} + " " + why);
  };
  auto& lim = opts.limits;
  if (lim.max_key_bytes == 0)
    return bad("max-key-bytes", "must be at least 1");
  if (lim.max_namespace_bytes == 0)
    return bad("max-namespace-bytes", "must be at least 1");
  if (lim.max_batch == 0)
    return bad("max-batch", "must be at least 1");
  if (lim.max_page == 0)
    return bad("max-page", "must be at least 1");
  if (lim.max_ttl.count() <= 0)
    return bad("max-ttl", "must be positive");
  if (opts.sweep_interval.count() <= 0)
    return bad("sweep-interval", "must be positive");
  if (opts.watch_max_lag == 0)
    return bad("watch-max-lag", "must be at least 1");
  if (opts.watch_ack_timeout.count() <= 0)
    return bad("watch-ack-timeout", "must be positive");
  if (opts.sweep_batch == 0)
    return bad("sweep-batch", "must be at least 1");
  if (opts.internal_timeout.count() <= 0)
    return bad("internal-timeout", "must be positive");
  if (opts.passivate_after.count() <= 0)
    return bad("passivate-after", "must be positive");
  if (auto& pg = opts.postgres) {
    if (pg->connections == 0)
      return bad("postgres.connections", "must be at least 1");
    if (pg->timeout.count() <= 0)
      return bad("postgres.timeout", "must be positive");
    if (pg->async_delay.count() < 0)
      return bad("postgres.async-delay", "must not be negative");
    if (pg->async_max_pending == 0)
      return bad("postgres.async-max-pending", "must be at least 1");
    if (pg->reconnect_min.count() <= 0 || pg->reconnect_max < pg->reconnect_min)
      return bad("postgres.reconnect-min/max",
                 "must be positive, min at most max");
    if (pg->purge_batch == 0)
      return bad("postgres.purge-batch", "must be at least 1");
  }
  if (auto& cl = opts.cluster) {
    if (!opts.postgres)
      return bad("cluster", "needs the postgres backend: the nodes share "
                            "one PostgreSQL database, which holds who is a "
                            "member and who owns each namespace (the "
                            "in-memory backend keeps one node's data in "
                            "its own process)");
    if (opts.postgres->mode != durability::sync)
      return bad("cluster", "needs postgres.durability sync: with async, a "
                            "node that loses a namespace to another would "
                            "lose the writes it acknowledged but had not "
                            "committed");
    if (cl->peer_token.empty())
      return bad("cluster.peer-token",
                 "must be set: the nodes log in to each other with it");
    if (cl->address.empty() || cl->address == "0.0.0.0" || cl->address == "::")
      return bad("cluster.address",
                 "must be an address other nodes can reach (not a "
                 "wildcard): set it when listening on every interface");
    if (cl->port == 0)
      return bad("cluster.port", "must be set (a fixed statekeeper.port, or "
                                 "the port other nodes reach this one on)");
    if (cl->heartbeat_interval.count() <= 0)
      return bad("cluster.heartbeat-interval", "must be positive");
    if (cl->member_timeout < 3 * cl->heartbeat_interval)
      return bad("cluster.member-timeout",
                 "must be at least three heartbeat intervals");
  }
  return caf::none;
}

} // namespace statekeeper
