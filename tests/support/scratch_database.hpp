// A fresh PostgreSQL database per test on the cluster that
// scripts/with-postgres.sh started (PG* environment variables); dropped at
// the end. Tests tagged [pg] fail, rather than skip, without that cluster:
// the test command always provides one.
#pragma once

#include <string>
#include <vector>

#include "actors/service_options.hpp"
#include "messages/cluster.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper::test {

class scratch_database {
public:
  scratch_database();
  ~scratch_database();

  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  /// Connection string for the database.
  const std::string& conninfo() const {
    return conninfo_;
  }

  /// Runs `sql` in the database and returns the first column of the first
  /// row as text ("" for no row or NULL).
  std::string query(const std::string& sql) const;

  /// Kills every other connection to the database (pg_terminate_backend).
  /// Returns how many were terminated.
  int terminate_connections() const;

  /// Stops the server (fast shutdown) and starts it again on the same port.
  static void restart_server();

  /// Stops the server (fast shutdown); `start_server` brings it back.
  static void stop_server();
  static void start_server();

private:
  std::string name_;
  std::string conninfo_;
};

/// The lease epochs (several nodes) of the stored changes of namespace `ns`
/// (rendered, plain ASCII), comma-separated in revision order.
std::string epochs_in_history(const scratch_database& db,
                              const std::string& ns);

/// Several nodes: the name of the node that holds the lease of `ns` ("" if
/// none does).
std::string lease_holder(const scratch_database& db, const namespace_path& ns);

/// Several nodes: the members of the cluster on `db` whose heartbeat is
/// within `member_timeout`, as placement ranks them (id, name).
std::vector<member_info> live_members_of(const scratch_database& db,
                                         caf::timespan member_timeout);

/// Several nodes: the first namespace `tenant`/pN (N = 0, 1, ...) that
/// placement puts on the node named `node` among `members`.
namespace_path placed_on(const std::vector<member_info>& members,
                         const std::string& node,
                         const std::string& tenant = "acme");

/// Returns true if the test cluster's environment is present.
bool have_test_cluster();

/// The test options (fixture.hpp) persisting to `db`, with short
/// reconnection delays and a 10 s time limit per load or commit.
service_options pg_options(const scratch_database& db,
                           durability mode = durability::sync);

} // namespace statekeeper::test
