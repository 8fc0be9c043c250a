#include "tests/support/scratch_database.hpp"

#include <atomic>
#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include <pqxx/pqxx>

#include "actors/membership.hpp"
#include "tests/support/fixture.hpp"

namespace statekeeper::test {

namespace {

std::string admin_conninfo() {
  return "dbname=postgres";
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "sk_test_" + std::to_string(getpid()) + "_"
         + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
}

} // namespace

bool have_test_cluster() {
  return std::getenv("PGHOST") != nullptr && std::getenv("PGPORT") != nullptr;
}

scratch_database::scratch_database() : name_(unique_name()) {
  if (!have_test_cluster())
    throw std::runtime_error("no PostgreSQL test cluster: run the tests "
                             "through scripts/with-postgres.sh");
  pqxx::connection admin{admin_conninfo()};
  pqxx::nontransaction tx{admin};
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  conninfo_ = "dbname=" + name_;
}

scratch_database::~scratch_database() {
  try {
    pqxx::connection admin{admin_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = $1 AND pid <> pg_backend_pid()",
                   name_);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
  } catch (...) {
    // The cluster goes away with the test run anyway.
  }
}

std::string scratch_database::query(const std::string& sql) const {
  pqxx::connection conn{conninfo_};
  pqxx::work tx{conn};
  auto rows = tx.exec(sql);
  tx.commit();
  if (rows.empty() || rows[0][0].is_null())
    return {};
  return rows[0][0].c_str();
}

int scratch_database::terminate_connections() const {
  pqxx::connection admin{admin_conninfo()};
  pqxx::nontransaction tx{admin};
  auto rows = tx.exec_params(
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
    " FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    name_);
  return rows[0][0].as<int>();
}

namespace {

void pg_ctl(const std::string& action) {
  auto pgctl = std::getenv("STATEKEEPER_TEST_PGCTL");
  auto pgdata = std::getenv("STATEKEEPER_TEST_PGDATA");
  if (pgctl == nullptr || pgdata == nullptr)
    throw std::runtime_error("STATEKEEPER_TEST_PGCTL/PGDATA not set");
  std::string cmd = std::string{pgctl} + " -D " + pgdata + " -w -t 30 "
                    + action + " > /dev/null 2>&1";
  if (geteuid() == 0)
    cmd = "runuser -u postgres -- " + cmd;
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("PostgreSQL " + action + " failed: " + cmd);
}

} // namespace

void scratch_database::restart_server() {
  pg_ctl("-m fast restart");
}

void scratch_database::stop_server() {
  pg_ctl("-m fast stop");
}

void scratch_database::start_server() {
  pg_ctl("start");
}

service_options pg_options(const scratch_database& db, durability mode) {
  auto opts = test_options();
  postgres_options pg;
  pg.conninfo = db.conninfo();
  pg.mode = mode;
  pg.reconnect_min = std::chrono::milliseconds{20};
  pg.reconnect_max = std::chrono::milliseconds{200};
  pg.timeout = std::chrono::seconds{10};
  opts.postgres = pg;
  return opts;
}

std::string lease_holder(const scratch_database& db, const namespace_path& ns) {
  return db.query("SELECT m.name FROM sk_leases l JOIN sk_members m"
                  " ON m.id = l.owner WHERE l.ns = '" +
                  render(ns) + "'::bytea");
}

std::vector<member_info> live_members_of(const scratch_database& db,
                                         caf::timespan member_timeout) {
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(member_timeout)
          .count();
  // "id name,id name": names are plain in tests.
  auto listed =
      db.query("SELECT string_agg(id::text || ' ' || name, ',') FROM sk_members"
               " WHERE heartbeat_at > now() - " +
               std::to_string(us) + " * interval '1 us'");
  std::vector<member_info> result;
  std::istringstream in{listed};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto space = item.find(' ');
    member_info member;
    member.id = std::stoull(item.substr(0, space));
    member.name = item.substr(space + 1);
    result.push_back(std::move(member));
  }
  return result;
}

namespace_path placed_on(const std::vector<member_info>& members,
                         const std::string& node, const std::string& tenant) {
  for (int i = 0;; ++i) {
    namespace_path ns{tenant, {"p" + std::to_string(i)}};
    auto preferred = preferred_member(render(ns), members);
    if (preferred == nullptr)
      throw std::logic_error("placed_on: no members");
    if (preferred->name == node)
      return ns;
    if (i > 10000)
      throw std::logic_error("placed_on: no namespace is placed on " + node);
  }
}

std::string epochs_in_history(const scratch_database& db,
                              const std::string& ns) {
  return db.query("SELECT string_agg(epoch::text, ',' ORDER BY revision, seq)"
                  " FROM sk_changes WHERE ns = '" +
                  ns + "'::bytea");
}

} // namespace statekeeper::test
