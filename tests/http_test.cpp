// The HTTP gateway as an HTTP client uses it: the real statekeeper binary
// with its gateway on, driven by curl (and, for what curl will not send, a
// raw socket): every endpoint and its status codes, binary values through
// raw bodies and base64, conditional requests, watches as Server-Sent
// Events resumed with Last-Event-ID, tokens and tenants, limits, malformed
// requests, HTTPS and a /metrics scrape that moves with the traffic.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_service.hpp"
#include "tests/support/json_fields.hpp"
#include "tests/support/start_line.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::test::code_of;
using statekeeper::test::completed_process;
using statekeeper::test::curl_binary;
using statekeeper::test::eventually;
using statekeeper::test::http_service;
using statekeeper::test::json_object;
using statekeeper::test::metric_value;
using statekeeper::test::number;
using statekeeper::test::parse_reply;
using statekeeper::test::reply;
using statekeeper::test::run_to_completion;
using statekeeper::test::scoped_child;
using statekeeper::test::temp_dir;
using statekeeper::test::text;

/// Opens a TCP connection to 127.0.0.1:`port`; -1 if that failed.
int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Reads from `fd` until the server closes it or no byte comes for
/// `limit`, then closes it.
std::string read_to_end(int fd, std::chrono::seconds limit = 10s) {
  timeval tv{static_cast<time_t>(limit.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

/// Sends `bytes` on a fresh connection and reads until the server closes
/// it or `limit` passes.
std::string exchange(int port, const std::string& bytes,
                     std::chrono::seconds limit = 10s) {
  int fd = connect_to(port);
  if (fd < 0)
    return {};
  [[maybe_unused]] auto sent = ::send(fd, bytes.data(), bytes.size(), 0);
  return read_to_end(fd, limit);
}

/// A watch as curl streams it; each event is read as its lines.
class event_stream {
 public:
  event_stream(const http_service& service, const std::string& path,
               std::vector<std::string> options = {})
      : child_(curl_binary, args(service, path, std::move(options)), true) {}

  /// The next event's fields ("id", "event", "data"); empty at the end of
  /// the stream or after `limit`.
  std::map<std::string, std::string> next(std::chrono::seconds limit = 10s) {
    std::map<std::string, std::string> fields;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = child_.read_line(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now()));
      if (line.empty()) {
        if (!fields.empty())
          return fields;
        if (ended())
          return fields;
        continue;
      }
      auto colon = line.find(": ");
      if (colon != std::string::npos)
        fields[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return fields;
  }

  /// The next event that is not progress.
  std::map<std::string, std::string> next_change() {
    for (;;) {
      auto ev = next();
      if (ev.empty() || ev["event"] != "progress")
        return ev;
    }
  }

  /// Whether curl has exited: the server ended the stream.
  bool ended() { return child_.wait(0ms) != -1; }

  int wait(std::chrono::milliseconds limit) { return child_.wait(limit); }

 private:
  static std::vector<std::string> args(const http_service& service,
                                       const std::string& path,
                                       std::vector<std::string> options) {
    std::vector<std::string> all{"-s", "-N"};
    all.insert(all.end(), options.begin(), options.end());
    all.push_back(service.base() + path);
    return all;
  }

  scoped_child child_;
};

boost::json::object data_of(const std::map<std::string, std::string>& ev) {
  auto i = ev.find("data");
  REQUIRE(i != ev.end());
  return json_object(i->second, i->second);
}

const std::string acme = "/v1/ns/acme";

} // namespace

TEST_CASE("one key over HTTP: written, read, checked and erased, binary "
          "values byte for byte",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  std::string binary{"\x00\xff\x01zero\r\n", 9};
  auto put = service.put(acme + "/keys/blob", binary);
  CHECK_STATUS(put, 200);
  auto version = number(put.json().at("version"));
  CHECK(put.header("etag") == "\"" + std::to_string(version) + "\"");
  auto got = service.get(acme + "/keys/blob");
  CHECK_STATUS(got, 200);
  CHECK(got.body == binary);
  CHECK(got.header("content-type") == "application/octet-stream");
  CHECK(got.header("etag") == "\"" + std::to_string(version) + "\"");
  CHECK(got.header("statekeeper-expires-at").empty());
  auto head = service.request("HEAD", acme + "/keys/blob");
  CHECK_STATUS(head, 200);
  CHECK(head.header("content-length") == std::to_string(binary.size()));
  CHECK(head.body.empty());
  // The same entry through the CLI: one service behind both doors.
  auto cli = service.cli({"get", "acme", "blob", "--raw"});
  CHECK(cli.out == binary);
  CHECK_STATUS(service.request("DELETE", acme + "/keys/blob"), 200);
  auto gone = service.get(acme + "/keys/blob");
  CHECK_STATUS(gone, 404);
  CHECK(code_of(gone) == "not_found");
  CHECK(text(gone.json().at("message")).find("\"blob\"") != std::string::npos);
  CHECK_STATUS(service.request("HEAD", acme + "/keys/blob"), 404);
  CHECK_STATUS(service.request("DELETE", acme + "/keys/blob"), 404);
}

TEST_CASE("requests sent straight to a namespace's owner find its next one "
          "once it stopped",
          "[http]") {
  // In memory a namespace never written is passivated once idle.
  http_service service{{"--statekeeper.passivate-after=1s",
                        "--statekeeper.sweep-interval=200ms"}};
  REQUIRE_HTTP(service);
  const std::string idle = "/v1/ns/acme%2Fidle";
  auto passivations = [&] {
    return metric_value(service.get("/metrics").body,
                        "statekeeper_passivations_total");
  };
  auto before = passivations();
  // The first request finds the owner through a bridge, the second goes to
  // it directly.
  CHECK_STATUS(service.get(idle + "/keys/k"), 404);
  CHECK_STATUS(service.get(idle + "/keys/k"), 404);
  REQUIRE(eventually([&] { return passivations() > before; }));
  // The owner the gateway knows has stopped: the request is not lost and
  // not answered with an error, it reaches the namespace's new owner.
  auto again = service.get(idle + "/keys/k");
  CHECK_STATUS(again, 404);
  CHECK(code_of(again) == "not_found");
  CHECK_STATUS(service.put(idle + "/keys/k", "v"), 200);
  auto got = service.get(idle + "/keys/k");
  CHECK_STATUS(got, 200);
  CHECK(got.body == "v");
}

TEST_CASE("requests racing owners that are evicted each get their answer",
          "[http]") {
  // One namespace actor at a time: each request to the other namespace
  // evicts the owner that requests on other connections are being sent to.
  http_service service{{"--statekeeper.max-active-namespaces=1"}};
  REQUIRE_HTTP(service);
  std::vector<std::string> args{"-s", "-Z", "--parallel-max",
                                "8",  "-w", "%{http_code}\n"};
  for (int i = 0; i < 200; ++i)
    args.insert(args.end(), {"-o", "/dev/null",
                             service.base() + "/v1/ns/acme%2F" +
                                 (i % 2 ? "a" : "b") + "/keys/k"});
  auto run = run_to_completion(curl_binary, args, "", 60s);
  REQUIRE(run.exit_code == 0);
  std::istringstream lines{run.out};
  int answered = 0;
  for (std::string status; std::getline(lines, status); ++answered)
    CHECK(status == "404"); // never written: not found, never an error
  CHECK(answered == 200);
  auto metrics = service.get("/metrics").body;
  CHECK(metric_value(metrics, "statekeeper_passivations_total") >= 1);
}

TEST_CASE("a TTL as a query parameter or a header, its expiry in a header, "
          "expire and persist",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  CHECK_STATUS(service.put(acme + "/keys/a?ttl=1h", "v"), 200);
  auto a = service.get(acme + "/keys/a");
  CHECK(a.header("statekeeper-expires-at").size() ==
        std::string{"2024-05-01T12:00:00.250Z"}.size());
  CHECK_STATUS(
      service.put(acme + "/keys/b", "v", {"-H", "Statekeeper-TTL: 2s"}), 200);
  CHECK_STATUS(service.get(acme + "/keys/b"), 200);
  CHECK(eventually([&] { return service.get(acme + "/keys/b").status == 404; },
                   20s));
  // A write without TTL removes it, as Redis SET does.
  CHECK_STATUS(service.put(acme + "/keys/a", "w"), 200);
  CHECK(service.get(acme + "/keys/a").header("statekeeper-expires-at").empty());
  CHECK_STATUS(service.post(acme + "/keys/a/expire", R"({"ttl":"10m"})"), 200);
  CHECK(
      !service.get(acme + "/keys/a").header("statekeeper-expires-at").empty());
  CHECK_STATUS(service.post(acme + "/keys/a/persist", ""), 200);
  CHECK(service.get(acme + "/keys/a").header("statekeeper-expires-at").empty());
  CHECK_STATUS(service.post(acme + "/keys/none/persist", ""), 404);
  CHECK_STATUS(service.post(acme + "/keys/a/expire?ttl=5s", ""), 200);
  auto bad = service.put(acme + "/keys/a?ttl=soon", "v");
  CHECK_STATUS(bad, 400);
  CHECK(code_of(bad) == "invalid_argument");
  CHECK_STATUS(service.put(acme + "/keys/a?ttl=0s", "v"), 400);
}

TEST_CASE("conditional requests: If-None-Match creates, If-Match updates "
          "and erases, 412 when the condition fails, 304 when unchanged",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  auto created =
      service.put(acme + "/keys/c", "one", {"-H", "If-None-Match: *"});
  CHECK_STATUS(created, 201);
  auto etag = created.header("etag");
  auto again = service.put(acme + "/keys/c", "two", {"-H", "If-None-Match: *"});
  CHECK_STATUS(again, 412);
  CHECK(code_of(again) == "already_exists");
  auto updated =
      service.put(acme + "/keys/c", "two", {"-H", "If-Match: " + etag});
  CHECK_STATUS(updated, 200);
  auto stale =
      service.put(acme + "/keys/c", "three", {"-H", "If-Match: " + etag});
  CHECK_STATUS(stale, 412);
  CHECK(code_of(stale) == "revision_mismatch");
  CHECK(service.get(acme + "/keys/c").body == "two");
  CHECK_STATUS(service.put(acme + "/keys/none", "x", {"-H", "If-Match: \"1\""}),
               412);
  // A GET whose entity tag the client has is 304, without the value.
  auto fresh = updated.header("etag");
  auto same = service.get(acme + "/keys/c", {"-H", "If-None-Match: " + fresh});
  CHECK_STATUS(same, 304);
  CHECK(same.body.empty());
  CHECK_STATUS(service.get(acme + "/keys/c", {"-H", "If-None-Match: " + etag}),
               200);
  CHECK_STATUS(
      service.request("DELETE", acme + "/keys/c", {"-H", "If-Match: " + etag}),
      412);
  CHECK_STATUS(
      service.request("DELETE", acme + "/keys/c", {"-H", "If-Match: " + fresh}),
      200);
  CHECK_STATUS(
      service.request("DELETE", acme + "/keys/c", {"-H", "If-Match: " + fresh}),
      412);
  // Entity tags that cannot name one version are refused.
  CHECK_STATUS(service.put(acme + "/keys/c", "x", {"-H", "If-Match: W/\"1\""}),
               400);
  CHECK_STATUS(service.put(acme + "/keys/c", "x",
                           {"-H", "If-Match: \"1\"", "-H", "If-None-Match: *"}),
               400);
}

TEST_CASE("JSON endpoints: batches, pages, count, exists, clear and "
          "namespaces, values as statekeeper-cli --json prints them",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  auto put = service.post(acme + "/put", R"({"items":[
      {"key":"a","value":"text"},
      {"key":"b","value_base64":"/wAB"},
      {"key":"c","value":"ttl","ttl":"1h"}]})");
  CHECK_STATUS(put, 200);
  auto version = number(put.json().at("version"));
  auto got = service.post(acme + "/get", R"({"keys":["b","a","zz"]})");
  CHECK_STATUS(got, 200);
  auto entries = got.json().at("entries").as_array();
  REQUIRE(entries.size() == 2);
  CHECK(text(entries[0].at("key")) == "b");
  CHECK(text(entries[0].at("value_base64")) == "/wAB");
  CHECK(number(entries[0].at("version")) == version);
  // The CLI's JSON for the same entry has the same fields.
  auto cli = service.cli({"get", "acme", "b", "--json"});
  auto cli_entry = json_object(cli.out, cli.out);
  for (auto field : {"key", "value_base64", "version", "expires_at"})
    CHECK(cli_entry.at(field) == entries[0].as_object().at(field));
  auto keys = service.get(acme + "/keys?limit=2");
  CHECK_STATUS(keys, 200);
  CHECK(keys.json() == boost::json::parse(R"({"keys":["a","b"],"more":true})"));
  auto rest = service.get(acme + "/keys?limit=2&after=b");
  CHECK(rest.json() == boost::json::parse(R"({"keys":["c"],"more":false})"));
  auto scan = service.get(acme + "/entries?prefix=c");
  auto scanned = scan.json().at("entries").as_array();
  REQUIRE(scanned.size() == 1);
  CHECK(text(scanned[0].at("value")) == "ttl");
  CHECK(scanned[0].at("expires_at").is_string());
  CHECK(number(service.get(acme + "/count").json().at("count")) == 3);
  CHECK(service.get(acme).json().at("exists").as_bool());
  CHECK(service.get("/v1/namespaces").json() ==
        boost::json::parse(R"({"namespaces":["acme"]})"));
  auto erased = service.post(acme + "/erase", R"({"keys":["a","zz"]})");
  CHECK(number(erased.json().at("erased")) == 1);
  auto cleared = service.request("DELETE", acme);
  CHECK_STATUS(cleared, 200);
  CHECK(number(cleared.json().at("removed")) == 2);
  CHECK(!service.get(acme).json().at("exists").as_bool());
  CHECK_STATUS(service.post(acme + "/put", R"({"items":[{"key":"a"}]})"), 400);
  CHECK_STATUS(service.post(acme + "/put",
                            R"({"items":[{"key":"a","value_base64":"%"}]})"),
               400);
  CHECK_STATUS(service.get(acme + "/keys?limit=0"), 400);
  CHECK_STATUS(service.get(acme + "/keys?limit=100000"), 413);
}

TEST_CASE("transactions over HTTP: compares, both branches and each "
          "operation's result",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  auto v = number(service.put(acme + "/keys/k", "1").json().at("version"));
  auto txn = [&](const std::string& version) {
    return service.post(acme + "/txn", R"({"compare":[{"key":"k",
        "target":"version","op":"equal","version":)" +
                                           version + R"(}],
        "success":[{"op":"put","key":"k","value":"2"},{"op":"get","key":"k"}],
        "failure":[{"op":"get","key":"k"}]})");
  };
  auto won = txn(std::to_string(v));
  CHECK_STATUS(won, 200);
  auto result = won.json();
  CHECK(result.at("succeeded").as_bool());
  auto& results = result.at("results").as_array();
  REQUIRE(results.size() == 2);
  CHECK(text(results[0].at("op")) == "put");
  CHECK(text(results[1].at("entry").at("value")) == "2");
  auto lost = txn(std::to_string(v)).json();
  CHECK(!lost.at("succeeded").as_bool());
  CHECK(text(lost.at("results").at(0).at("entry").at("value")) == "2");
  auto bad = service.post(acme + "/txn",
                          R"({"success":[{"op":"frobnicate","key":"k"}]})");
  CHECK_STATUS(bad, 400);
  CHECK(code_of(bad) == "invalid_argument");
  auto twice = service.post(acme + "/txn", R"({"success":[
      {"op":"put","key":"k","value":"a"},{"op":"put","key":"k","value":"b"}]})");
  CHECK_STATUS(twice, 400);
}

TEST_CASE("namespaces with hostile segments round-trip as one "
          "percent-encoded path segment",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  // The namespace acme / "a/b" / "50%" renders as acme/a%2Fb/50%25, which
  // goes into the path percent-encoded once more.
  std::string rendered = "acme/a%2Fb/50%25";
  std::string segment = "acme%2Fa%252Fb%2F50%2525";
  CHECK_STATUS(service.put("/v1/ns/" + segment + "/keys/k%2Fslash", "v"), 200);
  CHECK(service.get("/v1/namespaces?prefix=acme").json() ==
        boost::json::object{{"namespaces", boost::json::array{rendered}}});
  auto cli = service.cli({"get", rendered, "k/slash"});
  CHECK(cli.out == "v\n");
  auto bad = service.get("/v1/ns/acme%2F%2Fx/keys/k");
  CHECK_STATUS(bad, 400);
  CHECK(code_of(bad) == "invalid_argument");
  CHECK_STATUS(service.get("/v1/ns/acme/keys/%ZZ"), 400);
}

TEST_CASE("errors: a JSON body with a stable code and the fitting status",
          "[http]") {
  http_service service{{"--statekeeper.max-value-bytes=16",
                        "--statekeeper.http.max-body-bytes=1024",
                        "--statekeeper.http.max-header-bytes=1024"}};
  REQUIRE_HTTP(service);
  auto not_json = service.post(acme + "/get", "{not json");
  CHECK_STATUS(not_json, 400);
  CHECK(code_of(not_json) == "invalid_argument");
  auto nowhere = service.get("/v2/nothing");
  CHECK_STATUS(nowhere, 404);
  CHECK(code_of(nowhere) == "not_found");
  auto method = service.request("PATCH", acme + "/keys/k");
  CHECK_STATUS(method, 405);
  CHECK(method.header("allow") == "GET, HEAD, PUT, DELETE");
  auto large = service.put(acme + "/keys/k", std::string(17, 'x'));
  CHECK_STATUS(large, 413);
  CHECK(code_of(large) == "limit_exceeded");
  auto huge = service.put(acme + "/keys/k", std::string(2048, 'x'));
  CHECK_STATUS(huge, 413);
  auto headers = service.get(acme + "/keys/k",
                             {"-H", "X-Padding: " + std::string(2048, 'p')});
  CHECK_STATUS(headers, 431);
  // What no HTTP client sends: 400 with a message, and the service goes on.
  auto garbage = exchange(service.port(), "NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(garbage.find("malformed HTTP request") != std::string::npos);
  auto bad_length =
      exchange(service.port(), "PUT /v1/ns/acme/keys/k HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: nope\r\n\r\n");
  CHECK(bad_length.rfind("HTTP/1.1 400", 0) == 0);
  // A HEAD response has no body, whatever it answers, so the next response
  // on the connection is read from its start.
  auto two =
      exchange(service.port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                               "HEAD /v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n");
  auto first_end = two.find("\r\n\r\n");
  REQUIRE(first_end != std::string::npos);
  CHECK(two.compare(first_end + 4, 12, "HTTP/1.1 404") == 0);
  auto second_end = two.find("\r\n\r\n", first_end + 4);
  REQUIRE(second_end != std::string::npos);
  CHECK(two.compare(second_end + 4, 12, "HTTP/1.1 200") == 0);
  CHECK(two.substr(two.size() - 15) == R"({"status":"ok"})");
  // A client that waits for "100 Continue" before its body gets it.
  int fd = connect_to(service.port());
  REQUIRE(fd >= 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string head = "PUT /v1/ns/acme/keys/k HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 5\r\nExpect: 100-continue\r\n"
                     "Connection: close\r\n\r\n";
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  char buf[512];
  auto n = ::recv(fd, buf, sizeof(buf), 0);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100", 0) == 0);
  ::send(fd, "value", 5, MSG_NOSIGNAL);
  CHECK(read_to_end(fd).rfind("HTTP/1.1 200", 0) == 0);
  CHECK(service.get(acme + "/keys/k").body == "value");
}

TEST_CASE("bearer tokens: 401 without a good one, 403 outside the tenant, "
          "metrics for the operator only",
          "[http]") {
  temp_dir dir;
  auto config =
      dir.write("statekeeper.ini", "[statekeeper]\ntokens=[\"acme:s3cret\","
                                   "\"globex:other\",\"*:admin\"]\n");
  http_service service{{"--config-file=" + config}};
  REQUIRE_HTTP(service);
  auto acme_token =
      std::vector<std::string>{"-H", "Authorization: Bearer s3cret"};
  auto none = service.get(acme + "/keys/k");
  CHECK_STATUS(none, 401);
  CHECK(code_of(none) == "unauthorized");
  CHECK(none.header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK_STATUS(
      service.get(acme + "/keys/k", {"-H", "Authorization: Bearer wrong"}),
      401);
  // Refused from its headers: the body it announces is never waited for.
  auto announced =
      exchange(service.port(), "PUT /v1/ns/acme/keys/k HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 1000000\r\n\r\n");
  CHECK(announced.rfind("HTTP/1.1 401", 0) == 0);
  CHECK_STATUS(service.put(acme + "/keys/k", "v", acme_token), 200);
  CHECK_STATUS(
      service.get(acme + "/keys/k", {"-H", "authorization: bearer s3cret"}),
      200);
  CHECK_STATUS(service.put("/v1/ns/globex/keys/k", "g",
                           {"-H", "Authorization: Bearer other"}),
               200);
  auto outside = service.get("/v1/ns/globex/keys/k", acme_token);
  CHECK_STATUS(outside, 403);
  CHECK(code_of(outside) == "unauthorized");
  CHECK(service.get("/v1/namespaces", acme_token).json() ==
        boost::json::parse(R"({"namespaces":["acme"]})"));
  CHECK_STATUS(service.get("/v1/namespaces?prefix=globex", acme_token), 403);
  CHECK_STATUS(service.get("/metrics", acme_token), 403);
  CHECK_STATUS(service.get("/metrics", {"-H", "Authorization: Bearer admin"}),
               200);
  // The probes say nothing and need nothing.
  CHECK_STATUS(service.get("/healthz"), 200);
  CHECK_STATUS(service.get("/readyz"), 200);
}

TEST_CASE("a watch as Server-Sent Events: snapshot, changes, resume from "
          "Last-Event-ID, and an event when the cursor expired",
          "[http]") {
  http_service service{{"--statekeeper.watch-history=3"}};
  REQUIRE_HTTP(service);
  service.put(acme + "/keys/a", "1");
  event_stream watch{service, acme + "/watch"};
  auto first = watch.next();
  CHECK(first["event"] == "put");
  CHECK(first.count("id") == 0); // snapshot entries: no cursor to resume
  CHECK(text(data_of(first).at("value")) == "1");
  auto done = watch.next();
  CHECK(done["event"] == "snapshot_done");
  CHECK(!done["id"].empty());
  service.put(acme + "/keys/b", std::string{"\xff", 1});
  auto change = watch.next_change();
  CHECK(change["event"] == "put");
  CHECK(text(data_of(change).at("value_base64")) == "/w==");
  auto last_id = change["id"];
  REQUIRE(!last_id.empty());
  service.request("DELETE", acme + "/keys/a");
  auto erased = watch.next_change();
  CHECK(erased["event"] == "erase");
  // A client that lost the stream after `change` resumes right after it.
  event_stream resumed{
      service, acme + "/watch", {"-H", "Last-Event-ID: " + last_id}};
  auto replayed = resumed.next_change();
  CHECK(replayed["event"] == "erase");
  CHECK(replayed["id"] == erased["id"]);
  service.put(acme + "/keys/c", "3");
  CHECK(resumed.next_change()["event"] == "put");
  CHECK(watch.next_change()["event"] == "put");
  // Past the kept history: one event that says so, then the end.
  for (auto key : {"d", "e", "f", "g"})
    service.put(acme + "/keys/" + key, "x");
  event_stream expired{service, acme + "/watch?from=" + last_id};
  auto error = expired.next();
  CHECK(error["event"] == "error");
  CHECK(text(data_of(error).at("code")) == "cursor_expired");
  CHECK(expired.wait(10s) == 0);
  auto malformed = service.get(acme + "/watch", {"-H", "Last-Event-ID: x"});
  CHECK_STATUS(malformed, 400);
}

TEST_CASE("limits: a client that trickles its request is cut off, "
          "connections beyond the cap are closed",
          "[http]") {
  http_service service{{"--statekeeper.http.io-timeout=1s",
                        "--statekeeper.http.max-connections=2"}};
  REQUIRE_HTTP(service);
  int slow = connect_to(service.port());
  REQUIRE(slow >= 0);
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto started = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (char c : request) {
    if (::send(slow, &c, 1, MSG_NOSIGNAL) != 1) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  char buf[256];
  if (!cut_off)
    cut_off = ::recv(slow, buf, sizeof(buf), 0) <= 0;
  close(slow);
  CHECK(cut_off);
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  // Two idle connections fill the cap; a third is closed unanswered.
  int a = connect_to(service.port());
  int b = connect_to(service.port());
  std::this_thread::sleep_for(200ms);
  auto third = exchange(service.port(), request, 5s);
  CHECK(third.empty());
  close(a);
  close(b);
  // Once the gateway has seen them close, there is room again.
  CHECK(eventually([&] { return service.get("/healthz").status == 200; }, 20s));
}

TEST_CASE("the request bodies held at once are bounded: a body that does "
          "not fit gets 429 before it is read",
          "[http]") {
  http_service service{{"--statekeeper.http.max-body-bytes=1000",
                        "--statekeeper.http.max-buffered-bytes=1500"}};
  REQUIRE_HTTP(service);
  // A client announces 1000 bytes and sends half: they stay counted. It
  // waits for "100 Continue", which comes once they are counted.
  int slow = connect_to(service.port());
  REQUIRE(slow >= 0);
  std::string head = "PUT /v1/ns/acme/keys/slow HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 1000\r\nExpect: 100-continue\r\n"
                     "Connection: close\r\n\r\n";
  std::string body(1000, 's');
  ::send(slow, head.data(), head.size(), MSG_NOSIGNAL);
  std::string interim;
  char buf[256];
  while (interim.find("\r\n\r\n") == std::string::npos) {
    auto n = ::recv(slow, buf, sizeof(buf), 0);
    REQUIRE(n > 0);
    interim.append(buf, static_cast<size_t>(n));
  }
  REQUIRE(interim.rfind("HTTP/1.1 100", 0) == 0);
  ::send(slow, body.data(), 500, MSG_NOSIGNAL);
  auto refused = service.put(acme + "/keys/k", std::string(1000, 'x'));
  CHECK_STATUS(refused, 429);
  CHECK(code_of(refused) == "limit_exceeded");
  CHECK(refused.body.find("max-buffered-bytes") != std::string::npos);
  // What fits beside it still goes through.
  CHECK_STATUS(service.put(acme + "/keys/small", std::string(400, 'y')), 200);
  ::send(slow, body.data() + 500, 500, MSG_NOSIGNAL);
  CHECK(read_to_end(slow).rfind("HTTP/1.1 200", 0) == 0);
  // Answered, its body no longer counts.
  CHECK_STATUS(service.put(acme + "/keys/k", std::string(1000, 'x')), 200);
  CHECK(service.get(acme + "/keys/slow").body == body);
}

TEST_CASE("a stopping service ends each event stream with dropped and its "
          "cursor",
          "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  service.put(acme + "/keys/a", "1");
  event_stream watch{service, acme + "/watch"};
  CHECK(watch.next()["event"] == "put");
  CHECK(watch.next()["event"] == "snapshot_done");
  service.put(acme + "/keys/b", "2");
  auto change = watch.next_change();
  REQUIRE(change["event"] == "put");
  CHECK(service.stop() == 0);
  // The last event says the watch ended, and where to resume.
  auto last = watch.next_change();
  CHECK(last["event"] == "dropped");
  CHECK(last["id"] == change["id"]);
  CHECK(watch.wait(10s) == 0);
}

TEST_CASE("a /metrics scrape moves with the traffic sent", "[http]") {
  http_service service;
  REQUIRE_HTTP(service);
  std::string put_ok =
      "statekeeper_http_operations_total{operation=\"put\",outcome=\"ok\"}";
  std::string get_missing =
      "statekeeper_http_operations_total{operation=\"get\","
      "outcome=\"not_found\"}";
  auto before = service.get("/metrics");
  CHECK_STATUS(before, 200);
  CHECK(before.header("content-type").rfind("text/plain", 0) == 0);
  for (int i = 0; i < 3; ++i)
    service.put(acme + "/keys/k" + std::to_string(i), "v");
  service.get(acme + "/keys/none");
  auto after = service.get("/metrics").body;
  CHECK(metric_value(after, put_ok) ==
        std::max(metric_value(before.body, put_ok), 0L) + 3);
  CHECK(metric_value(after, get_missing) == 1);
  CHECK(metric_value(after, "statekeeper_active_namespaces") >= 1);
  CHECK(metric_value(after, "statekeeper_http_connections") >= 1);
  CHECK(metric_value(after, "statekeeper_http_operation_duration_seconds_count{"
                            "operation=\"put\"}") == 3);
  CHECK(metric_value(after, "statekeeper_activations_total") >= 1);
  // The service's own counters: watches open, entries the sweep removed.
  CHECK(metric_value(after, "statekeeper_watchers") == 0);
  event_stream watch{service, acme + "/watch"};
  CHECK(!watch.next().empty());
  service.put(acme + "/keys/short", "v", {"-H", "Statekeeper-TTL: 100ms"});
  auto metric_reaches = [&](const std::string& series, long wanted) {
    for (int i = 0; i < 100; ++i) {
      if (metric_value(service.get("/metrics").body, series) == wanted)
        return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  CHECK(metric_reaches("statekeeper_watchers", 1));
  CHECK(metric_reaches("statekeeper_http_watch_streams", 1));
  CHECK(metric_reaches("statekeeper_expired_entries_total", 1));
}

TEST_CASE("HTTPS: clients that trust the CA get in, plain HTTP does not",
          "[http]") {
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  auto make_certs =
      std::string{"bash '"} + STATEKEEPER_TEST_CERTS + "' '" + dir.path() + "'";
  REQUIRE(std::system(make_certs.c_str()) == 0);
  http_service service{
      {"--statekeeper.http.certificate=" + dir.file("server.pem"),
       "--statekeeper.http.key=" + dir.file("server.key")}};
  REQUIRE_HTTP(service);
  CHECK(service.lines().find("HTTPS") != std::string::npos);
  auto https = "https://127.0.0.1:" + std::to_string(service.port());
  auto run = run_to_completion(
      curl_binary,
      {"-s", "-S", "-i", "--cacert", dir.file("ca.pem"), "-X", "PUT",
       "--data-binary", "secret", https + "/v1/ns/acme/keys/k"},
      {}, 30s);
  CHECK_STATUS(parse_reply(run), 200);
  run = run_to_completion(curl_binary,
                          {"-s", "-S", "--cacert", dir.file("ca.pem"),
                           https + "/v1/ns/acme/keys/k"},
                          {}, 30s);
  CHECK(run.out == "secret");
  auto untrusted = run_to_completion(
      curl_binary,
      {"-s", "-S", "--cacert", dir.file("other-ca.pem"), https + "/healthz"},
      {}, 30s);
  CHECK(untrusted.exit_code != 0);
  auto plain = service.get("/healthz");
  CHECK(plain.status == 0);
}

TEST_CASE("a config file's nested groups apply, and the command line wins "
          "over them",
          "[http]") {
  temp_dir dir;
  // The file's port loses to the command line's (http_service passes 0).
  auto config = dir.write("statekeeper.ini",
                          "[statekeeper]\nsweep-interval=1s\n"
                          "[statekeeper.http]\nport=1\nmax-body-bytes=16\n");
  http_service service{{"--config-file=" + config}};
  REQUIRE_HTTP(service);
  CHECK(service.port() != 1);
  CHECK_STATUS(service.put(acme + "/keys/k", std::string(16, 'x')), 200);
  CHECK_STATUS(service.put(acme + "/keys/k", std::string(17, 'x')), 413);
  // A value of the wrong type is refused, naming the option.
  auto wrong =
      dir.write("wrong.ini", "[statekeeper.http]\nmax-body-bytes=\"ten\"\n");
  auto run = run_to_completion(
      STATEKEEPER_BINARY, {"--statekeeper.port=0", "--config-file=" + wrong},
      {}, 20s);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("statekeeper.http.max-body-bytes"));
}

TEST_CASE("the binary refuses HTTP settings that would expose it or "
          "cannot work",
          "[http]") {
  auto refused = [](std::vector<std::string> args) {
    args.insert(args.begin(), "--statekeeper.port=0");
    auto run = run_to_completion(STATEKEEPER_BINARY, args, {}, 20s);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 2);
    return run.err;
  };
  CHECK(refused(
            {"--statekeeper.http.port=0", "--statekeeper.http.address=0.0.0.0"})
            .find("insecure-plaintext") != std::string::npos);
  CHECK(refused({"--statekeeper.http.port=0",
                 "--statekeeper.http.certificate=/nonexistent.pem"})
            .find("certificate and key") != std::string::npos);
  CHECK(refused({"--statekeeper.http.port=0",
                 "--statekeeper.http.certificate=/nonexistent.pem",
                 "--statekeeper.http.key=/nonexistent.key"})
            .find("/nonexistent.pem") != std::string::npos);
  CHECK(refused({"--statekeeper.http.port=70000"}).find("65535") !=
        std::string::npos);
}
