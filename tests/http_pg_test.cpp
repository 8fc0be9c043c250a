// The HTTP gateway in front of PostgreSQL: /readyz says whether the backend
// answers, requests that need it fail with 503 while it is down and succeed
// again by themselves, a commit that hangs answers 504 and fills the cap on
// requests in flight (429), and /metrics shows the commits. Driven by curl
// against the real binary.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "tests/support/http_service.hpp"
#include "tests/support/scratch_database.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::test::code_of;
using statekeeper::test::http_service;
using statekeeper::test::metric_value;
using statekeeper::test::scratch_database;

} // namespace

TEST_CASE("readyz follows the database, and writes fail with 503 while it "
          "is down",
          "[http][pg]") {
  scratch_database db;
  http_service service{{"--statekeeper.backend=postgres",
                        "--statekeeper.postgres.conninfo=" + db.conninfo(),
                        "--statekeeper.postgres.reconnect-max=200ms",
                        "--statekeeper.postgres.timeout=5s"}};
  REQUIRE_HTTP(service);
  CHECK_STATUS(service.get("/readyz"), 200);
  CHECK_STATUS(service.put("/v1/ns/acme/keys/k", "v"), 200);
  scratch_database::stop_server();
  auto down = service.get("/readyz");
  CHECK_STATUS(down, 503);
  CHECK(code_of(down) == "storage_unavailable");
  auto write = service.put("/v1/ns/acme/keys/k", "w");
  CHECK(write.status >= 503);
  CHECK(write.status <= 504);
  // Reads are served from memory meanwhile.
  CHECK(service.get("/v1/ns/acme/keys/k").body == "v");
  scratch_database::start_server();
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = service.get("/readyz").status == 200;
    if (!ready)
      std::this_thread::sleep_for(100ms);
  }
  CHECK(ready);
  bool written = false;
  for (int i = 0; i < 100 && !written; ++i) {
    written = service.put("/v1/ns/acme/keys/k", "w").status == 200;
    if (!written)
      std::this_thread::sleep_for(100ms);
  }
  CHECK(written);
}

TEST_CASE("a commit that hangs: 504 after the service timeout, 429 past the "
          "requests in flight, and the write lands once the database moves",
          "[http][pg]") {
  scratch_database db;
  http_service service{{"--statekeeper.backend=postgres",
                        "--statekeeper.postgres.conninfo=" + db.conninfo(),
                        "--statekeeper.http.service-timeout=5s",
                        "--statekeeper.http.max-requests-in-flight=1"}};
  REQUIRE_HTTP(service);
  CHECK_STATUS(service.put("/v1/ns/acme/keys/k", "1"), 200);
  auto before = service.get("/metrics").body;
  CHECK(metric_value(before, "statekeeper_commit_duration_seconds_count") >= 1);
  CHECK(metric_value(before, "statekeeper_commit_batch_size_count") ==
        metric_value(before, "statekeeper_commits_total"));
  CHECK(metric_value(before,
                     "statekeeper_commit_batch_size_bucket{le=\"+Inf\"}") ==
        metric_value(before, "statekeeper_commit_batch_size_count"));
  // Another session holds the table: the next commit waits for it.
  pqxx::connection locker{db.conninfo()};
  pqxx::work hold{locker};
  hold.exec("LOCK TABLE sk_entries IN EXCLUSIVE MODE");
  auto first = std::async(std::launch::async, [&] {
    return service.put("/v1/ns/acme/keys/k", "2");
  });
  std::this_thread::sleep_for(500ms);
  auto second = service.put("/v1/ns/acme/keys/other", "x");
  auto waited = first.get();
  // One request holds the only place in flight until the service timeout
  // answers it; the other is refused at once.
  CHECK(((waited.status == 504 && second.status == 429) ||
         (waited.status == 429 && second.status == 504)));
  auto refused = second.status == 429 ? second : waited;
  CHECK(code_of(refused) == "limit_exceeded");
  auto timed_out = second.status == 429 ? waited : second;
  CHECK(code_of(timed_out) == "timeout");
  hold.abort();
  // A timeout does not say whether the write was applied; this one was,
  // once the table was free.
  std::string value;
  for (int i = 0; i < 100 && value != "2"; ++i) {
    value = service.get("/v1/ns/acme/keys/k").body;
    if (value != "2")
      std::this_thread::sleep_for(100ms);
  }
  CHECK(value == "2");
  auto after = service.get("/metrics").body;
  CHECK(metric_value(after, "statekeeper_commits_total") >
        metric_value(before, "statekeeper_commits_total"));
  CHECK(metric_value(after, "statekeeper_commit_duration_seconds_count") ==
        metric_value(after, "statekeeper_commits_total"));
  CHECK(metric_value(after,
                     "statekeeper_http_operations_total{operation=\"put\","
                     "outcome=\"limit_exceeded\"}") == 1);
}
