// statekeeper-cli as a user runs it: real processes against the real service
// binary, checking standard output, standard error and the exit status of
// every command, with access tokens and with TLS.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/json_fields.hpp"
#include "tests/support/net_config.hpp"
#include "tests/support/service_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::test::completed_process;
using statekeeper::test::describe;
using statekeeper::test::free_port;
using statekeeper::test::number;
using statekeeper::test::run_cli;
using statekeeper::test::running_service;
using statekeeper::test::temp_dir;
using statekeeper::test::text;

// Both evaluate `run` once and show what the CLI printed when they fail.
#define CHECK_EXIT(run, code)                                                  \
  do {                                                                         \
    const auto& checked_run = (run);                                           \
    INFO(describe(checked_run));                                               \
    CHECK(checked_run.exit_code == (code));                                    \
  } while (false)

#define REQUIRE_EXIT(run, code)                                                \
  do {                                                                         \
    const auto& checked_run = (run);                                           \
    INFO(describe(checked_run));                                               \
    REQUIRE(checked_run.exit_code == (code));                                  \
  } while (false)

/// Sets (or, given none, removes) an environment variable until the end of
/// the scope.
class scoped_env {
 public:
  scoped_env(const char* name, const std::optional<std::string>& value)
      : name_(name) {
    if (auto old = std::getenv(name))
      old_ = old;
    assign(value);
  }

  ~scoped_env() { assign(old_); }

 private:
  void assign(const std::optional<std::string>& value) {
    if (value)
      setenv(name_, value->c_str(), 1);
    else
      unsetenv(name_);
  }

  const char* name_;
  std::optional<std::string> old_;
};

boost::json::object json_of(const completed_process& run) {
  return statekeeper::test::json_object(run.out, describe(run));
}

/// Repeats `get NS KEY` until the key is absent or `limit` passed; returns
/// the last run.
completed_process wait_until_absent(const running_service& service,
                                    const std::string& ns,
                                    const std::string& key,
                                    std::chrono::milliseconds limit = 20s) {
  completed_process run;
  statekeeper::test::eventually(
      [&] {
        run = service.cli({"get", ns, key});
        return run.exit_code != 0;
      },
      limit, 100ms);
  return run;
}

} // namespace

TEST_CASE("put takes its value from an argument, a file or stdin", "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  temp_dir dir;
  auto put = service.cli({"put", "acme/cli", "greeting", "hello"});
  REQUIRE_EXIT(put, 0);
  CHECK(put.out == std::to_string(std::stoull(put.out)) + "\n");
  CHECK(put.err.empty());
  auto get = service.cli({"get", "acme/cli", "greeting"});
  CHECK_EXIT(get, 0);
  CHECK(get.out == "hello\n");
  // Global options may follow the command.
  auto after = run_cli({"get", "acme/cli", "greeting", "--port",
                        std::to_string(service.port())});
  CHECK_EXIT(after, 0);
  CHECK(after.out == "hello\n");
  auto binary = std::string{"a\0b\n", 4} + "\xff\xfe\r\n";
  auto from_file = service.cli(
      {"put", "acme/cli", "file", "--file", dir.write("value.bin", binary)});
  CHECK_EXIT(from_file, 0);
  CHECK(service.cli({"get", "acme/cli", "file", "--raw"}).out == binary);
  std::string large(300 * 1000, '\0');
  for (size_t i = 0; i < large.size(); ++i)
    large[i] = static_cast<char>((i * 7919) % 256);
  auto from_stdin = service.cli({"put", "acme/cli", "stdin", "--stdin"}, large);
  CHECK_EXIT(from_stdin, 0);
  auto raw = service.cli({"get", "acme/cli", "stdin", "--raw"});
  CHECK_EXIT(raw, 0);
  CHECK(raw.out == large);
  auto dash = service.cli({"put", "acme/cli", "dash", "--", "-5"});
  CHECK_EXIT(dash, 0);
  CHECK(service.cli({"get", "acme/cli", "dash"}).out == "-5\n");
}

TEST_CASE("get --json carries the version, the expiry and non-UTF-8 values",
          "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto put = service.cli({"put", "acme/json", "k", "v", "--ttl", "1h"});
  REQUIRE_EXIT(put, 0);
  auto got = service.cli({"--json", "get", "acme/json", "k"});
  REQUIRE_EXIT(got, 0);
  auto obj = json_of(got);
  CHECK(text(obj.at("namespace")) == "acme/json");
  CHECK(text(obj.at("key")) == "k");
  CHECK(text(obj.at("value")) == "v");
  CHECK(number(obj.at("version")) == std::stoull(put.out));
  auto expires = text(obj.at("expires_at"));
  CHECK(expires.size() == 24);
  CHECK(expires.back() == 'Z');
  auto bytes = service.cli({"put", "acme/json", "bin", "--stdin", "--json"},
                           std::string{"\xff\0\x01", 3});
  REQUIRE_EXIT(bytes, 0);
  auto version = number(json_of(bytes).at("version"));
  auto bin = json_of(service.cli({"get", "acme/json", "bin", "--json"}));
  CHECK(text(bin.at("value_base64")) == "/wAB");
  CHECK(!bin.contains("value"));
  CHECK(number(bin.at("version")) == version);
  CHECK(bin.at("expires_at").is_null());
}

TEST_CASE("get of an absent key exits 1", "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto plain = service.cli({"get", "acme/cli", "nope"});
  CHECK_EXIT(plain, 1);
  CHECK(plain.out.empty());
  CHECK(plain.err == "statekeeper-cli: key \"nope\" not found in acme/cli\n");
  auto json = service.cli({"get", "acme/cli", "nope", "--json"});
  CHECK_EXIT(json, 1);
  auto obj = json_of(json);
  CHECK(obj.at("found").as_bool() == false);
  CHECK(text(obj.at("key")) == "nope");
  CHECK(text(obj.at("namespace")) == "acme/cli");
}

TEST_CASE("create refuses an existing key and update compares versions",
          "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto created = service.cli({"create", "acme/cas", "k", "one"});
  REQUIRE_EXIT(created, 0);
  auto first = std::stoull(created.out);
  auto again = service.cli({"create", "acme/cas", "k", "other"});
  CHECK_EXIT(again, 2);
  CHECK(again.out.empty());
  CHECK(again.err.find("already_exists") != std::string::npos);
  auto updated = service.cli(
      {"update", "acme/cas", "k", "two", "--expected", std::to_string(first)});
  REQUIRE_EXIT(updated, 0);
  CHECK(std::stoull(updated.out) > first);
  auto stale = service.cli({"update", "acme/cas", "k", "three", "--expected",
                            std::to_string(first)});
  CHECK_EXIT(stale, 2);
  CHECK(stale.err.find("revision_mismatch") != std::string::npos);
  auto missing =
      service.cli({"update", "acme/cas", "none", "x", "--expected", "1"});
  CHECK_EXIT(missing, 2);
  CHECK(missing.err.find("not_found") != std::string::npos);
  CHECK(service.cli({"get", "acme/cas", "k"}).out == "two\n");
}

TEST_CASE("erase exits 0 when the key existed and 1 when not", "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto put = service.cli({"put", "acme/erase", "k", "v"});
  REQUIRE_EXIT(put, 0);
  auto version = std::stoull(put.out);
  auto wrong = service.cli(
      {"erase", "acme/erase", "k", "--expected", std::to_string(version + 1)});
  CHECK_EXIT(wrong, 2);
  CHECK(wrong.err.find("revision_mismatch") != std::string::npos);
  auto erased = service.cli(
      {"erase", "acme/erase", "k", "--expected", std::to_string(version)});
  CHECK_EXIT(erased, 0);
  CHECK(erased.out == "erased\n");
  auto absent = service.cli({"erase", "acme/erase", "k"});
  CHECK_EXIT(absent, 1);
  CHECK(absent.out.empty());
  REQUIRE_EXIT(service.cli({"put", "acme/erase", "k", "v"}), 0);
  auto json = service.cli({"erase", "acme/erase", "k", "--json"});
  CHECK_EXIT(json, 0);
  CHECK(json_of(json).at("erased").as_bool() == true);
  auto json_absent = service.cli({"erase", "acme/erase", "k", "--json"});
  CHECK_EXIT(json_absent, 1);
  CHECK(json_of(json_absent).at("erased").as_bool() == false);
}

TEST_CASE("keys pages with --limit and --after", "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  for (auto key : {"a", "b", "c", "d", "e"})
    REQUIRE_EXIT(service.cli({"put", "acme/list", key, "v"}), 0);
  auto first = service.cli({"keys", "acme/list", "--limit", "2"});
  CHECK_EXIT(first, 0);
  CHECK(first.out == "a\nb\n");
  CHECK(first.err == "statekeeper-cli: more keys after \"b\" (use --after)\n");
  auto second =
      service.cli({"keys", "acme/list", "--limit", "2", "--after", "b"});
  CHECK(second.out == "c\nd\n");
  auto last = service.cli({"keys", "acme/list", "--after=d", "--limit=2"});
  CHECK_EXIT(last, 0);
  CHECK(last.out == "e\n");
  CHECK(last.err.empty());
  CHECK(service.cli({"keys", "acme/list", "--prefix", "c"}).out == "c\n");
  auto json =
      json_of(service.cli({"keys", "acme/list", "--json", "--limit", "3"}));
  auto& keys = json.at("keys").as_array();
  REQUIRE(keys.size() == 3);
  CHECK(text(keys[0]) == "a");
  CHECK(text(keys[2]) == "c");
  CHECK(json.at("more").as_bool() == true);
}

TEST_CASE("namespaces, count, exists and clear", "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  for (auto ns : {"acme/ns/one", "acme/ns/two", "acme/a%2Fb", "globex/x"})
    REQUIRE_EXIT(service.cli({"put", ns, "k", "v"}), 0);
  REQUIRE_EXIT(service.cli({"put", "acme/ns/one", "k2", "v"}), 0);
  auto all = service.cli({"namespaces"});
  CHECK_EXIT(all, 0);
  CHECK(all.out == "acme/a%2Fb\nacme/ns/one\nacme/ns/two\nglobex/x\n");
  CHECK(service.cli({"namespaces", "acme/ns"}).out ==
        "acme/ns/one\nacme/ns/two\n");
  auto listed = json_of(service.cli({"namespaces", "globex", "--json"}));
  REQUIRE(listed.at("namespaces").as_array().size() == 1);
  CHECK(text(listed.at("namespaces").as_array()[0]) == "globex/x");
  CHECK(service.cli({"count", "acme/ns/one"}).out == "2\n");
  CHECK(number(json_of(service.cli({"count", "acme/ns/one", "--json"}))
                   .at("count")) == 2);
  auto yes = service.cli({"exists", "acme/ns/one"});
  CHECK_EXIT(yes, 0);
  CHECK(yes.out == "yes\n");
  auto no = service.cli({"exists", "acme/none"});
  CHECK_EXIT(no, 1);
  CHECK(no.out == "no\n");
  CHECK(json_of(service.cli({"exists", "acme/none", "--json"}))
            .at("exists")
            .as_bool() == false);
  auto cleared = service.cli({"clear", "acme/ns/one"});
  CHECK_EXIT(cleared, 0);
  CHECK(cleared.out == "2\n");
  CHECK(number(json_of(service.cli({"clear", "acme/ns/two", "--json"}))
                   .at("removed")) == 1);
  CHECK(service.cli({"count", "acme/ns/one"}).out == "0\n");
  CHECK_EXIT(service.cli({"exists", "acme/ns/one"}), 1);
}

TEST_CASE("a value ends with its TTL and expire and persist change it",
          "[cli]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  REQUIRE_EXIT(service.cli({"put", "acme/ttl", "short", "v", "--ttl", "300ms"}),
               0);
  auto gone = wait_until_absent(service, "acme/ttl", "short");
  CHECK_EXIT(gone, 1);
  REQUIRE_EXIT(service.cli({"put", "acme/ttl", "k", "v"}), 0);
  auto expire = service.cli({"expire", "acme/ttl", "k", "1h"});
  CHECK_EXIT(expire, 0);
  CHECK(expire.out == "ok\n");
  CHECK(json_of(service.cli({"get", "acme/ttl", "k", "--json"}))
            .at("expires_at")
            .is_string());
  auto persist = service.cli({"persist", "acme/ttl", "k"});
  CHECK_EXIT(persist, 0);
  CHECK(persist.out == "ok\n");
  CHECK(json_of(service.cli({"get", "acme/ttl", "k", "--json"}))
            .at("expires_at")
            .is_null());
  REQUIRE_EXIT(service.cli({"expire", "acme/ttl", "k", "300ms"}), 0);
  CHECK_EXIT(wait_until_absent(service, "acme/ttl", "k"), 1);
  CHECK_EXIT(service.cli({"expire", "acme/ttl", "k", "1s"}), 1);
  CHECK_EXIT(service.cli({"persist", "acme/ttl", "k"}), 1);
  auto json = service.cli({"expire", "acme/ttl", "k", "1s", "--json"});
  CHECK_EXIT(json, 1);
  CHECK(json_of(json).at("found").as_bool() == false);
}

// Which command lines are refused, and how each is described, is
// cli_args_test's; here, what the process does with a refusal and with help.
TEST_CASE("usage errors exit 2 with one line on stderr and nothing on stdout",
          "[cli]") {
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"get", "acme"}, {"fr\xffob\n"}}) {
    auto run = run_cli(args);
    INFO(describe(run));
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK(run.err.rfind("statekeeper-cli: ", 0) == 0);
    CHECK(run.err.find("--help") != std::string::npos);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  }
}

TEST_CASE("help goes to stdout and exits 0 without a service", "[cli]") {
  for (auto flag : {"--help", "-h"}) {
    auto general = run_cli({flag});
    CHECK_EXIT(general, 0);
    CHECK(general.err.empty());
    CHECK(general.out.find("STATEKEEPER_TOKEN") != std::string::npos);
  }
  auto put = run_cli({"put", "acme", "--ttl", "bad", "--help"});
  CHECK_EXIT(put, 0);
  CHECK(put.out.rfind("Usage: statekeeper-cli put ", 0) == 0);
}

TEST_CASE("a refused connection exits 2 within the timeout", "[cli]") {
  auto port = std::to_string(free_port());
  auto run =
      run_cli({"--port", port, "--timeout", "3s", "get", "acme", "k"}, {}, 13s);
  CHECK_EXIT(run, 2);
  CHECK(!run.timed_out);
  CHECK(run.out.empty());
  CHECK(run.err.rfind("statekeeper-cli: ", 0) == 0);
  CHECK(run.err.find("127.0.0.1:" + port) != std::string::npos);
}

TEST_CASE("access tokens confine the client to its tenant", "[cli]") {
  temp_dir dir;
  auto config = dir.write("statekeeper.ini",
                          "[statekeeper]\n"
                          "port=0\n"
                          "tokens=[\"acme:s3cret\",\"*:admintoken\"]\n");
  running_service service{{"--config-file=" + config}};
  REQUIRE_SERVING(service);
  scoped_env no_token{"STATEKEEPER_TOKEN", std::nullopt};
  auto anonymous = service.cli({"put", "acme/x", "k", "v"});
  CHECK_EXIT(anonymous, 2);
  CHECK(anonymous.err.find("unauthorized") != std::string::npos);
  auto wrong = service.cli({"put", "acme/x", "k", "v", "--token", "nope"});
  CHECK_EXIT(wrong, 2);
  CHECK(wrong.err.find("unauthorized") != std::string::npos);
  CHECK_EXIT(service.cli({"put", "acme/x", "k", "v", "--token", "s3cret"}), 0);
  auto got = service.cli({"--token", "s3cret", "get", "acme/x", "k"});
  CHECK_EXIT(got, 0);
  CHECK(got.out == "v\n");
  auto other = service.cli({"put", "globex/x", "k", "v", "--token", "s3cret"});
  CHECK_EXIT(other, 2);
  CHECK(other.err.find("unauthorized") != std::string::npos);
  CHECK_EXIT(
      service.cli({"put", "globex/x", "k", "v", "--token", "admintoken"}), 0);
  scoped_env from_env{"STATEKEEPER_TOKEN", std::string{"s3cret"}};
  CHECK(service.cli({"get", "acme/x", "k"}).out == "v\n");
  CHECK_EXIT(service.cli({"get", "acme/x", "k", "--token", "nope"}), 2);
}

TEST_CASE("TLS with client certificates admits only the CA's clients",
          "[cli]") {
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  auto make_certs =
      std::string{"bash '"} + STATEKEEPER_TEST_CERTS + "' '" + dir.path() + "'";
  REQUIRE(std::system(make_certs.c_str()) == 0);
  auto config = dir.write("statekeeper.ini",
                          "[statekeeper]\nport=0\ntls=true\n[openssl]\n"
                          "certificate=\"" +
                              dir.file("server.pem") +
                              "\"\n"
                              "key=\"" +
                              dir.file("server.key") +
                              "\"\n"
                              "cafile=\"" +
                              dir.file("ca.pem") + "\"\n");
  running_service service{{"--config-file=" + config}};
  REQUIRE_SERVING(service);
  auto with = [&](const std::string& cert, const std::string& ca,
                  std::vector<std::string> args) {
    std::vector<std::string> all{"--port", std::to_string(service.port()),
                                 "--timeout", "3s"};
    if (!cert.empty())
      all.insert(all.end(), {"--cert", dir.file(cert + ".pem"), "--key",
                             dir.file(cert + ".key"), "--ca", dir.file(ca)});
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all, {}, 13s);
  };
  auto put = with("client", "ca.pem", {"put", "acme/tls", "k", "v"});
  CHECK_EXIT(put, 0);
  auto get = with("client", "ca.pem", {"get", "acme/tls", "k"});
  CHECK_EXIT(get, 0);
  CHECK(get.out == "v\n");
  auto stranger = with("other-client", "ca.pem", {"get", "acme/tls", "k"});
  CHECK_EXIT(stranger, 2);
  CHECK(!stranger.timed_out);
  auto distrust = with("client", "other-ca.pem", {"get", "acme/tls", "k"});
  CHECK_EXIT(distrust, 2);
  CHECK(!distrust.timed_out);
  auto plain = with("", "", {"get", "acme/tls", "k"});
  CHECK_EXIT(plain, 2);
  CHECK(!plain.timed_out);
  auto anonymous = with("", "", {"--tls", "get", "acme/tls", "k"});
  CHECK_EXIT(anonymous, 2);
  CHECK(!anonymous.timed_out);
  for (auto& refused : {stranger, distrust, plain, anonymous})
    CHECK(refused.err.rfind("statekeeper-cli: ", 0) == 0);
}
