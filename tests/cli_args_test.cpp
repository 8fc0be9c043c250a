// statekeeper-cli's command line without starting anything: parse_args and
// the help texts, both generated from the one command table
// (app/cli/cli_commands.hpp). cli_test runs the binary for what needs a
// process.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "app/cli/cli_args.hpp"
#include "app/cli/cli_usage.hpp"

using namespace statekeeper;
using namespace statekeeper::cli;
using namespace std::chrono_literals;

namespace {

std::string refusal(const std::vector<std::string>& args) {
  auto result = parse_args(args);
  auto* refused = std::get_if<usage_error>(&result);
  if (refused == nullptr)
    FAIL("accepted: " << Catch::Detail::stringify(args));
  return refused->message;
}

invocation accepted(const std::vector<std::string>& args,
                    const std::optional<std::string>& token = std::nullopt) {
  auto result = parse_args(args, token);
  if (auto* refused = std::get_if<usage_error>(&result))
    FAIL("refused: " << refused->message);
  if (std::holds_alternative<help_request>(result))
    FAIL("help requested");
  return std::get<invocation>(result);
}

} // namespace

TEST_CASE("every command is in the table once, in the order of its kind",
          "[cli_args]") {
  REQUIRE(commands().size() == command_count);
  for (size_t i = 0; i < command_count; ++i) {
    auto kind = static_cast<command_kind>(i);
    auto& spec = spec_of(kind);
    CHECK(spec.kind == kind);
    REQUIRE(find_command(spec.name) == &spec);
    CHECK(command_name(kind) == spec.name);
    CHECK(spec.required_operands <= spec.operands.size());
    CHECK_FALSE(spec.summary.empty());
  }
  CHECK(find_command("frob") == nullptr);
}

TEST_CASE("usage errors name what was wrong on one printable line",
          "[cli_args]") {
  std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{}, "missing COMMAND"},
      {{"frob"}, "unknown command \"frob\""},
      {{"get", "acme"}, "missing KEY"},
      {{"get", "acme", "k", "extra"}, "unexpected argument \"extra\""},
      {{"put", "acme", "k", "v", "--ttl", "5x"}, "bad duration \"5x\""},
      {{"expire", "acme", "k", "0s"}, "bad duration \"0s\""},
      {{"--timeout", "soon", "count", "acme"}, "bad duration \"soon\""},
      {{"get", "acme//x", "k"}, "bad namespace"},
      {{"get", "acme/%zz", "k"}, "bad escape"},
      {{"put", "acme", "k"}, "missing VALUE"},
      {{"put", "acme", "k", "v", "--stdin"}, "only one of"},
      {{"update", "acme", "k", "v"}, "missing --expected"},
      {{"update", "acme", "k", "v", "--expected", "x"}, "bad version \"x\""},
      {{"keys", "acme", "--limit", "0"}, "bad limit \"0\""},
      {{"get", "acme", "k", "--bogus"}, "unknown option --bogus"},
      {{"get", "acme", "k", "-x"}, "unknown option \"-x\""},
      {{"get", "acme", "k", "--raw=1"}, "--raw takes no value"},
      {{"get", "acme", "k", "--host"}, "--host needs a value"},
      {{"get", "acme", "k", "--ttl", "1s"}, "--ttl does not apply to get"},
      {{"--port", "70000", "count", "acme"}, "bad port \"70000\""},
      {{"count", "acme", "--cert", "client.pem"}, "go together"},
      {{"get", "acme", "k", "--raw", "--json"}, "--raw and --json"},
      {{"watch", "acme", "--from", "12"}, "bad cursor \"12\""},
      // What was typed comes back escaped, never as raw bytes.
      {{"get", "acme", "k", "--he\xe2p"}, "unknown option --he\\xE2p"},
      {{"fr\xffob\n"}, "unknown command \"fr\\xFFob\\x0A\""},
  };
  for (auto& [args, expected] : cases) {
    auto message = refusal(args);
    INFO(message);
    CHECK(message.find(expected) != std::string::npos);
    CHECK(message.find("--help") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  // A problem with a known command points to that command's help.
  CHECK_THAT(refusal({"get", "acme"}),
             Catch::EndsWith("(see 'statekeeper-cli get --help')"));
  CHECK_THAT(refusal({"frob"}),
             Catch::EndsWith("(see 'statekeeper-cli --help')"));
}

TEST_CASE("options go before or after the command, and -- ends them",
          "[cli_args]") {
  auto before = accepted({"--port", "9000", "--json", "get", "acme/a", "k"});
  auto after = accepted({"get", "acme/a", "k", "--port=9000", "--json"});
  for (auto& inv : {before, after}) {
    CHECK(inv.command == command_kind::get);
    CHECK(inv.connection.port == 9000);
    CHECK(inv.json);
    CHECK(render(inv.ns) == "acme/a");
    CHECK(inv.key == "k");
  }
  auto dashed = accepted({"put", "acme", "--", "-k", "--value"});
  CHECK(dashed.key == "-k");
  CHECK(dashed.source == value_source::argument);
  CHECK(dashed.value_argument == "--value");
}

TEST_CASE("defaults, and the token from the environment unless --token",
          "[cli_args]") {
  auto inv = accepted({"count", "acme"}, std::string{"from-env"});
  CHECK(inv.connection.host == "127.0.0.1");
  CHECK(inv.connection.port == 7411);
  CHECK(inv.connection.timeout == caf::timespan{5s});
  CHECK_FALSE(inv.connection.tls);
  CHECK(inv.connection.token == "from-env");
  CHECK(accepted({"count", "acme", "--token", "given"}, std::string{"env"})
            .connection.token == "given");
  auto tls =
      accepted({"count", "acme", "--cert", "c", "--key", "k", "--ca", "a"});
  CHECK(tls.connection.tls);
}

TEST_CASE("each command's operands and options land in the invocation",
          "[cli_args]") {
  auto put = accepted({"put", "acme", "k", "--file", "v.bin", "--ttl", "2m"});
  CHECK(put.source == value_source::file);
  CHECK(put.value_argument == "v.bin");
  CHECK(put.ttl == caf::timespan{2min});
  auto update = accepted({"update", "acme", "k", "--stdin", "--expected", "7"});
  CHECK(update.source == value_source::standard_input);
  CHECK(update.expected_version == 7u);
  auto keys = accepted(
      {"keys", "acme", "--prefix", "p", "--after", "p1", "--limit", "5"});
  CHECK(keys.prefix == "p");
  CHECK(keys.after == "p1");
  CHECK(keys.limit == 5u);
  CHECK(accepted({"keys", "acme"}).limit == 100u);
  CHECK(accepted({"expire", "acme", "k", "500ms"}).duration ==
        caf::timespan{500ms});
  auto all = accepted({"namespaces"});
  CHECK(all.ns.tenant.empty());
  auto watch =
      accepted({"watch", "acme", "a/", "b/", "--from", "12@34", "--progress"});
  CHECK(watch.prefixes == std::vector<std::string>{"a/", "b/"});
  REQUIRE(watch.from);
  CHECK(watch.from->revision == 12u);
  CHECK(watch.from->incarnation == 34u);
  CHECK(watch.progress);
}

TEST_CASE("--help wins wherever it stands, but not over an unknown command",
          "[cli_args]") {
  auto general = parse_args({"--help"});
  REQUIRE(std::holds_alternative<help_request>(general));
  CHECK_FALSE(std::get<help_request>(general).command);
  for (auto args : std::vector<std::vector<std::string>>{
           {"put", "--help"},
           {"--help", "put"},
           {"put", "acme", "--ttl", "bad", "-h"}}) {
    auto result = parse_args(args);
    REQUIRE(std::holds_alternative<help_request>(result));
    CHECK(std::get<help_request>(result).command == command_kind::put);
  }
  CHECK(std::holds_alternative<usage_error>(parse_args({"frob", "--help"})));
}

TEST_CASE("a command takes exactly the options its help lists", "[cli_args]") {
  // A well-formed value for each option that takes one.
  std::map<std::string, std::string> values{
      {"file", "f"},   {"ttl", "1s"},  {"expected", "1"}, {"prefix", "p"},
      {"after", "p1"}, {"limit", "5"}, {"from", "1@2"}};
  std::set<std::string> specific;
  for (auto& spec : commands())
    for (auto& option : spec.options)
      specific.insert(std::string{option_name(option.first)});
  CHECK(specific.size() == 10);
  for (auto& spec : commands()) {
    std::set<std::string> own;
    for (auto& option : spec.options)
      own.insert(std::string{option_name(option.first)});
    for (auto& name : specific) {
      std::vector<std::string> args{std::string{spec.name}, "acme", "k", "v"};
      args.resize(1 + spec.required_operands);
      if (spec.kind == command_kind::expire)
        args.back() = "1s";
      args.push_back("--" + name);
      if (auto i = values.find(name); i != values.end())
        args.push_back(i->second);
      auto result = parse_args(args);
      auto* refused = std::get_if<usage_error>(&result);
      auto not_for_it =
          refused != nullptr &&
          refused->message.find("does not apply") != std::string::npos;
      INFO(spec.name << " --" << name << ": "
                     << (refused ? refused->message : "accepted"));
      CHECK(not_for_it == (own.count(name) == 0));
    }
  }
}

TEST_CASE("the help texts come from the table", "[cli_args]") {
  auto general = usage_text();
  for (auto& spec : commands()) {
    INFO(spec.name);
    // The general usage lists each command with its summary.
    CHECK(general.find("  " + std::string{spec.name} + " ") !=
          std::string::npos);
    CHECK(general.find(spec.summary) != std::string::npos);
    // Its own usage starts with its synopsis and names its operands and
    // options.
    auto own = usage_text(spec.kind);
    CHECK_THAT(own, Catch::StartsWith("Usage: statekeeper-cli " +
                                      std::string{spec.name}));
    for (auto& operand : spec.operands) {
      auto bare = std::string{operand.substr(0, operand.find('.'))};
      CHECK(own.find(bare) != std::string::npos);
    }
    for (auto& option : spec.options)
      CHECK(own.find(option.first) != std::string::npos);
  }
  CHECK(general.find("put NS KEY [VALUE]") != std::string::npos);
  for (auto word : {"--host", "--port", "--tls", "--cert", "--key", "--ca",
                    "--token", "STATEKEEPER_TOKEN", "--timeout", "--json"}) {
    INFO(word);
    CHECK(general.find(word) != std::string::npos);
  }
  CHECK(usage_text(command_kind::create).find("already_exists") !=
        std::string::npos);
  CHECK(usage_text(command_kind::update).find("revision_mismatch") !=
        std::string::npos);
  CHECK(general.find("watch NS [PREFIX...]") != std::string::npos);
}
