// statekeeper-cli watch as a user runs it: a real watch process against the
// real service binary, changed by other statekeeper-cli processes, checking
// the lines it prints as they arrive, what it says on standard error and
// how it exits (stopped, dropped, the service gone, a cursor too old).
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <boost/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/json_fields.hpp"
#include "tests/support/service_process.hpp"

namespace {

using namespace std::chrono_literals;
using statekeeper::test::completed_process;
using statekeeper::test::describe;
using statekeeper::test::number;
using statekeeper::test::running_service;
using statekeeper::test::scoped_child;
using statekeeper::test::text;

/// A configuration file for the service, removed at the end of the test.
class config_file {
 public:
  explicit config_file(const std::string& content) {
    char pattern[] = "/tmp/statekeeper-watch-XXXXXX.ini";
    int fd = mkstemps(pattern, 4);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = pattern;
    std::ofstream{path_} << content;
  }

  ~config_file() { unlink(path_.c_str()); }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Writes `key` = `value` through statekeeper-cli; returns the new version.
uint64_t put(const running_service& service, const std::string& ns,
             const std::string& key, const std::string& value,
             std::vector<std::string> options = {}) {
  std::vector<std::string> args{"put", ns, key, value};
  args.insert(args.end(), options.begin(), options.end());
  auto run = service.cli(args);
  INFO(describe(run));
  REQUIRE(run.exit_code == 0);
  return std::stoull(run.out);
}

void erase(const running_service& service, const std::string& ns,
           const std::string& key) {
  auto run = service.cli({"erase", ns, key});
  INFO(describe(run));
  REQUIRE(run.exit_code == 0);
}

/// `line` with the incarnation of each cursor ("REVISION@INCARNATION")
/// written as "I": a namespace's incarnation is random.
std::string anon(const std::string& line) {
  static const std::regex incarnation{"@[0-9]+"};
  return std::regex_replace(line, incarnation, "@I");
}

/// The cursor `revision`, as anon shows it.
std::string at(uint64_t revision) {
  return std::to_string(revision) + "@I";
}

/// The next line the watch prints, within 10 s, as anon shows it.
std::string next_line(scoped_child& watch) {
  return anon(watch.read_line(10s));
}

/// The next `n` lines the watch prints, each within 10 s ("" when none
/// came), as anon shows them.
std::vector<std::string> lines(scoped_child& watch, size_t n) {
  std::vector<std::string> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(next_line(watch));
  return result;
}

/// The cursor `revision` of `ns`, with the namespace's incarnation, which
/// the snapshot of a watch shows.
std::string cursor_of(const running_service& service, const std::string& ns,
                      uint64_t revision) {
  auto watch = service.watch({ns, "\x01none"});
  auto done = watch->read_line(10s);
  REQUIRE(done.rfind("snapshot_done\t", 0) == 0);
  watch->signal(SIGINT);
  CHECK(watch->wait(10s) == 0);
  return std::to_string(revision) + done.substr(done.find('@'));
}

std::string tabs(const std::vector<std::string>& fields) {
  std::string out;
  for (auto& field : fields)
    out += (out.empty() ? "" : "\t") + field;
  return out;
}

boost::json::object json_line(const std::string& line) {
  return statekeeper::test::json_object(line, line);
}

/// The next JSON line of the watch, its cursor as anon shows it.
boost::json::object next_event(scoped_child& watch) {
  auto obj = json_line(watch.read_line(10s));
  if (auto cursor = obj.if_contains("cursor"); cursor && cursor->is_string())
    *cursor = anon(std::string{cursor->as_string()});
  return obj;
}

/// The next JSON line of the watch that is not a progress event.
boost::json::object next_change(scoped_child& watch) {
  for (;;) {
    auto obj = next_event(watch);
    if (!obj.contains("event") || text(obj.at("event")) != "progress")
      return obj;
  }
}

} // namespace

TEST_CASE("watch prints the snapshot, then each change as it happens",
          "[cli][watch]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto a = put(service, "acme/w", "a", "1");
  auto b = put(service, "acme/w", "b", "two words", {"--ttl", "1h"});
  auto watch = service.watch({"acme/w"});
  auto snapshot = lines(*watch, 3);
  // Snapshot entries carry cursor 0: resuming before snapshot_done replays
  // the whole history.
  CHECK(snapshot[0] == tabs({"put", at(0), "a", "1"}));
  auto b_line = tabs({"put", at(0), "b", "two words", "expires="});
  CHECK(snapshot[1].rfind(b_line, 0) == 0);
  CHECK(snapshot[1].size() == b_line.size() + 24);
  CHECK(snapshot[1].back() == 'Z');
  CHECK(snapshot[2] == tabs({"snapshot_done", at(b)}));
  CHECK(a < b);
  // Each line arrives while the watch runs: it flushes every batch.
  auto a2 = put(service, "acme/w", "a", "3");
  CHECK(next_line(*watch) == tabs({"put", at(a2), "a", "3"}));
  erase(service, "acme/w", "b");
  CHECK(next_line(*watch) == tabs({"erase", at(a2 + 1), "b"}));
  auto bin = service.cli({"put", "acme/w", "bin", "--stdin"},
                         std::string{"\xff\0", 2});
  REQUIRE(bin.exit_code == 0);
  CHECK(next_line(*watch) ==
        tabs({"put", at(std::stoull(bin.out)), "bin", "base64:/wA="}));
  auto lf = put(service, "acme/w", "line\tkey", "x\ny");
  CHECK(next_line(*watch) ==
        tabs({"put", at(lf), "base64:bGluZQlrZXk=", "base64:eAp5"}));
  watch->signal(SIGINT);
  CHECK(watch->wait(10s) == 0);
  CHECK(watch->read_errors(1s).empty());
}

TEST_CASE("watch with prefixes prints only keys under them", "[cli][watch]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto x = put(service, "acme/p", "app/x", "1");
  auto y = put(service, "acme/p", "app/y", "2");
  auto z = put(service, "acme/p", "db/z", "3");
  auto other = put(service, "acme/p", "other", "4");
  auto watch = service.watch({"acme/p", "db/", "app/"});
  CHECK(lines(*watch, 4) ==
        std::vector<std::string>{tabs({"put", at(0), "app/x", "1"}),
                                 tabs({"put", at(0), "app/y", "2"}),
                                 tabs({"put", at(0), "db/z", "3"}),
                                 tabs({"snapshot_done", at(other)})});
  CHECK(x < y);
  CHECK(y < z);
  put(service, "acme/p", "other", "5");
  put(service, "acme/p", "apple", "6");
  auto w = put(service, "acme/p", "db/w", "7");
  CHECK(next_line(*watch) == tabs({"put", at(w), "db/w", "7"}));
  // SIGTERM stops a watch as SIGINT does.
  CHECK(watch->stop() == 0);
  CHECK(watch->read_errors(1s).empty());
}

TEST_CASE("watch --from prints exactly the changes after that cursor",
          "[cli][watch]") {
  running_service service{
      {"--statekeeper.port=0", "--statekeeper.sweep-interval=200ms"}};
  REQUIRE_SERVING(service);
  put(service, "acme/f", "a", "1");
  auto b = put(service, "acme/f", "b", "2");
  auto c = put(service, "acme/f", "c", "3");
  erase(service, "acme/f", "a");
  auto from =
      service.watch({"acme/f", "--from", cursor_of(service, "acme/f", b)});
  CHECK(lines(*from, 2) ==
        std::vector<std::string>{tabs({"put", at(c), "c", "3"}),
                                 tabs({"erase", at(c + 1), "a"})});
  // Several progress rounds pass unprinted: the next line is the change.
  std::this_thread::sleep_for(700ms);
  auto d = put(service, "acme/f", "d", "4");
  CHECK(next_line(*from) == tabs({"put", at(d), "d", "4"}));
  auto progress = service.watch(
      {"acme/f", "--from", cursor_of(service, "acme/f", d), "--progress"});
  CHECK(next_line(*progress) == tabs({"progress", at(d)}));
  // A cursor ahead of the namespace is refused, not taken as a later one.
  auto ahead = service.cli(
      {"watch", "acme/f", "--from", cursor_of(service, "acme/f", d + 5)});
  INFO(describe(ahead));
  CHECK(ahead.exit_code == 2);
  CHECK(ahead.err.find("cursor_expired") != std::string::npos);
  CHECK(ahead.err.find("ahead of the namespace") != std::string::npos);
  from->signal(SIGINT);
  CHECK(from->wait(10s) == 0);
}

TEST_CASE("watch --json prints one object per event, progress included",
          "[cli][watch]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto k = put(service, "acme/j", "k", "v", {"--ttl", "1h"});
  auto bin = service.cli({"put", "acme/j", "l", "--stdin"},
                         std::string{"\xff\0\x01", 3});
  REQUIRE(bin.exit_code == 0);
  auto l = std::stoull(bin.out);
  auto watch = service.watch({"acme/j", "--json"});
  auto first = next_event(*watch);
  CHECK(text(first.at("event")) == "put");
  CHECK(number(first.at("revision")) == 0);
  CHECK(text(first.at("cursor")) == at(0));
  CHECK(text(first.at("key")) == "k");
  CHECK(text(first.at("value")) == "v");
  CHECK(number(first.at("version")) == k);
  CHECK(text(first.at("expires_at")).size() == 24);
  auto second = next_event(*watch);
  CHECK(text(second.at("value_base64")) == "/wAB");
  CHECK(!second.contains("value"));
  CHECK(number(second.at("version")) == l);
  CHECK(second.at("expires_at").is_null());
  auto done = next_event(*watch);
  CHECK(done == boost::json::object{{"event", "snapshot_done"},
                                    {"revision", l},
                                    {"cursor", at(l)}});
  erase(service, "acme/j", "k");
  CHECK(next_change(*watch) == boost::json::object{{"event", "erase"},
                                                   {"revision", l + 1},
                                                   {"cursor", at(l + 1)},
                                                   {"key", "k"}});
  // The service tells idle watchers where the namespace is every second.
  CHECK(next_event(*watch) == boost::json::object{{"event", "progress"},
                                                  {"revision", l + 1},
                                                  {"cursor", at(l + 1)}});
  watch->signal(SIGINT);
  CHECK(watch->wait(10s) == 0);
}

TEST_CASE("a watch whose service dies exits 2 and says so", "[cli][watch]") {
  running_service service{{"--statekeeper.port=0"}};
  REQUIRE_SERVING(service);
  auto v = put(service, "acme/k", "k", "v");
  auto watch = service.watch({"acme/k"});
  CHECK(lines(*watch, 2) ==
        std::vector<std::string>{tabs({"put", at(0), "k", "v"}),
                                 tabs({"snapshot_done", at(v)})});
  service.kill();
  CHECK(watch->wait(10s) == 2);
  auto errors = watch->read_errors(5s);
  INFO(errors);
  CHECK(errors.rfind("statekeeper-cli: watch ended: ", 0) == 0);
  CHECK(errors.find("storage_unavailable") != std::string::npos);
  CHECK(errors.find("lost") != std::string::npos);
}

TEST_CASE("watch --from older than the service's history exits 2 with "
          "cursor_expired",
          "[cli][watch]") {
  config_file config{"[statekeeper]\nport=0\nwatch-history=3\n"};
  running_service service{{"--config-file=" + config.path()}};
  REQUIRE_SERVING(service);
  std::vector<uint64_t> versions;
  for (auto key : {"a", "b", "c", "d", "e", "f"})
    versions.push_back(put(service, "acme/h", key, "v"));
  auto expired = service.cli(
      {"watch", "acme/h", "--from", cursor_of(service, "acme/h", versions[0])});
  INFO(describe(expired));
  CHECK(expired.exit_code == 2);
  CHECK(expired.out.empty());
  CHECK(expired.err.rfind("statekeeper-cli: ", 0) == 0);
  CHECK(expired.err.find("cursor_expired") != std::string::npos);
  // The last three revisions are still there.
  auto kept = service.watch(
      {"acme/h", "--from", cursor_of(service, "acme/h", versions[3])});
  CHECK(lines(*kept, 2) ==
        std::vector<std::string>{tabs({"put", at(versions[4]), "e", "v"}),
                                 tabs({"put", at(versions[5]), "f", "v"})});
}

TEST_CASE("a watch that falls behind is dropped and names the cursor to "
          "resume from",
          "[cli][watch]") {
  config_file config{"[statekeeper]\nport=0\nwatch-max-lag=20\n"};
  running_service service{{"--config-file=" + config.path()}};
  REQUIRE_SERVING(service);
  auto watch = service.watch({"acme/slow"});
  CHECK(next_line(*watch) == tabs({"snapshot_done", at(0)}));
  // Nobody reads the watch: its pipe fills after a few of these lines, its
  // handler blocks and the service drops it.
  std::string big(16 * 1024, 'x');
  for (int i = 0; i < 50; ++i)
    put(service, "acme/slow", "k" + std::to_string(i), big);
  std::string last;
  for (auto line = watch->read_line(20s); !line.empty();
       line = watch->read_line(20s))
    last = std::move(line);
  CHECK(watch->wait(10s) == 2);
  REQUIRE(last.rfind("put\t", 0) == 0);
  auto cursor = last.substr(4, last.find('\t', 4) - 4);
  auto errors = watch->read_errors(5s);
  INFO(errors);
  CHECK(errors.rfind("statekeeper-cli: watch dropped: fell more than 20 "
                     "events behind",
                     0) == 0);
  CHECK(errors.find("; resume with --from " + cursor + "\n") !=
        std::string::npos);
  // Resuming there misses nothing.
  auto resumed = service.watch({"acme/slow", "--from", cursor});
  auto next = std::stoull(cursor) + 1;
  CHECK(next_line(*resumed).rfind(
            tabs({"put", at(next), "k" + std::to_string(next - 1)}), 0) == 0);
}

TEST_CASE("watch usage errors and help", "[cli][watch]") {
  auto run = [](const std::vector<std::string>& args) {
    return statekeeper::test::run_to_completion(STATEKEEPER_CLI_BINARY, args);
  };
  std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"watch"}, "missing NS"},
      {{"watch", "acme", "--from", "x"}, "bad cursor \"x\" for --from"},
      {{"watch", "acme", "--from", "5"}, "bad cursor \"5\" for --from"},
      {{"watch", "acme//x"}, "bad namespace"},
      {{"keys", "acme", "--from", "1"}, "--from does not apply to keys"},
      {{"get", "acme", "k", "--progress"}, "--progress does not apply to get"},
  };
  for (auto& [args, expected] : cases) {
    auto failed = run(args);
    INFO(describe(failed));
    CHECK(failed.exit_code == 2);
    CHECK(failed.out.empty());
    CHECK(failed.err.find(expected) != std::string::npos);
  }
  auto general = run({"--help"});
  CHECK(general.out.find("\n  watch NS [PREFIX...]") != std::string::npos);
  auto help = run({"watch", "--help"});
  INFO(describe(help));
  CHECK(help.exit_code == 0);
  CHECK(help.out.rfind("Usage: statekeeper-cli watch NS [PREFIX...]", 0) == 0);
  for (auto word : {"--from", "--progress", "snapshot_done",
                    "base64:", "cursor_expired", "SIGINT"})
    CHECK(help.out.find(word) != std::string::npos);
}
