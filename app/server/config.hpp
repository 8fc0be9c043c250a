// Configuration of the standalone binary: CAF's own options (scheduler,
// logging, ...) plus a `statekeeper` group mirroring service_options. Read
// from the config file (`--config-file=`, default statekeeper.ini) and then
// from `--key=value` flags; `--help` lists every option.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>

#include "actors/http/http_options.hpp"
#include "actors/remote/remote.hpp"
#include "actors/service_options.hpp"

namespace statekeeper {

class app_config : public caf::actor_system_config {
 public:
  app_config();

  /// Builds the service options from what was parsed. Errors:
  /// invalid_argument naming an option with a bad value.
  caf::expected<service_options> make_service_options() const;

  /// Builds the network options. Errors: invalid_argument naming a bad
  /// token entry or limit.
  caf::expected<remote_options> make_remote_options() const;

  /// Builds the HTTP gateway's options, with the tokens of `remote`; none
  /// if it is off. Errors: invalid_argument naming a bad option.
  caf::expected<std::optional<http_options>>
  make_http_options(const remote_options& remote) const;

  /// Stores the values of the nested groups' options (statekeeper.http.*,
  /// statekeeper.postgres.*, statekeeper.cluster.*) into their variables.
  /// CAF 0.17 reads a config file's `[statekeeper.http]` section into
  /// `content` but stores only the options of top-level groups; call after
  /// `parse` succeeded. A value on the command line wins over the file's,
  /// as for other options. Errors: invalid_argument naming an option whose
  /// value has the wrong type.
  caf::error apply_nested_groups();

  /// Prints every option with its type, description and default.
  void print_help(std::ostream& out) const;

  service_options service;
  /// "memory" (default) or "postgres".
  std::string backend = "memory";
  postgres_options postgres;
  /// "sync" (default) or "async".
  std::string durability_mode = "sync";
  /// How the service is published over CAF networking (tokens aside).
  remote_options remote;
  /// Access tokens as "tenant:token" strings. Default: none (open).
  std::vector<std::string> tokens;
  /// Most connections open at once; newer ones are closed at once.
  /// Default: 10000.
  std::size_t max_connections = 10000;
  /// The HTTP gateway (tokens aside).
  http_options http;
  /// Its port: -1 (default) leaves it off, 0 picks a free one.
  int32_t http_port = -1;
  /// Be one node of several sharing the PostgreSQL database.
  bool cluster_enabled = false;
  /// Its options; an empty node name is the host name and port, an empty
  /// address the remote listener's.
  cluster_options cluster;
  /// The port other nodes reach this one on; 0: statekeeper.port.
  int32_t cluster_port = 0;
};

} // namespace statekeeper
