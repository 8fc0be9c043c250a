// The statekeeper binary with its HTTP gateway on, and curl as its client,
// for the tests that use the gateway as HTTP clients do. Header-only: the
// test targets define STATEKEEPER_BINARY and STATEKEEPER_CLI_BINARY. The
// test thread.
#pragma once

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/json_fields.hpp"
#include "tests/support/start_line.hpp"

namespace statekeeper::test {

constexpr const char* curl_binary = "/usr/bin/curl";

/// What curl received.
struct reply {
  int status = 0;
  /// Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  /// curl's own words, when it failed.
  std::string error;

  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i == headers.end() ? std::string{} : i->second;
  }

  boost::json::object json() const { return json_object(body, body); }
};

/// Splits `curl -i` output into status, headers and body.
inline reply parse_reply(const completed_process& run) {
  reply r;
  r.error = run.err;
  auto end = run.out.find("\r\n\r\n");
  if (end == std::string::npos)
    return r;
  auto head = run.out.substr(0, end);
  r.body = run.out.substr(end + 4);
  size_t at = 0;
  bool first = true;
  while (at <= head.size()) {
    auto eol = head.find("\r\n", at);
    if (eol == std::string::npos)
      eol = head.size();
    auto line = head.substr(at, eol - at);
    at = eol + 2;
    if (first) {
      first = false;
      auto space = line.find(' ');
      if (space != std::string::npos)
        r.status = std::atoi(line.c_str() + space + 1);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    auto name = line.substr(0, colon);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    r.headers[name] = value;
  }
  return r;
}

/// The statekeeper binary with its HTTP gateway on a free port, stopped at
/// the end of the test. `args` come after the ports.
class http_service {
 public:
  explicit http_service(std::vector<std::string> args = {})
      : child_(STATEKEEPER_BINARY, with_ports(std::move(args))),
        start_line_(child_.read_line(std::chrono::seconds{20})),
        http_line_(child_.read_line(std::chrono::seconds{5})) {
    std::string marker = "serving HTTP on 127.0.0.1:";
    auto at = http_line_.find(marker);
    if (at != std::string::npos)
      port_ = std::atoi(http_line_.c_str() + at + marker.size());
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  int port() const { return port_; }
  const std::string& base() const { return base_; }
  const std::string& lines() const { return http_line_; }
  int cli_port() const { return statekeeper::test::serving_port(start_line_); }

  /// Sends SIGTERM and returns the exit status (-1 if it had to be
  /// killed).
  int stop() { return child_.stop(); }

  /// Sends `sig` (SIGKILL, SIGSTOP, SIGCONT...).
  void signal(int sig) { child_.signal(sig); }

  /// Runs curl on `path` (after the base URL) with `options`, sending
  /// `input` as the body when given.
  reply request(const std::string& method, const std::string& path,
                std::vector<std::string> options = {},
                const std::optional<std::string>& input = std::nullopt) const {
    std::vector<std::string> args{"-s",      "-S", "-i",  "-H",
                                  "Expect:", "-X", method};
    if (method == "HEAD")
      args = {"-s", "-S", "-I"};
    args.insert(args.end(), options.begin(), options.end());
    if (input)
      args.insert(args.end(), {"--data-binary", "@-"});
    args.push_back(base_ + path);
    auto run = run_to_completion(curl_binary, args, input.value_or(""),
                                 std::chrono::seconds{30});
    return parse_reply(run);
  }

  reply get(const std::string& path,
            std::vector<std::string> options = {}) const {
    return request("GET", path, std::move(options));
  }

  reply put(const std::string& path, const std::string& value,
            std::vector<std::string> options = {}) const {
    return request("PUT", path, std::move(options), value);
  }

  reply post(const std::string& path, const std::string& json,
             std::vector<std::string> options = {}) const {
    options.insert(options.end(), {"-H", "Content-Type: application/json"});
    return request("POST", path, std::move(options), json);
  }

  /// Runs statekeeper-cli against the service's CAF port.
  completed_process cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--port", std::to_string(cli_port())});
    return run_to_completion(STATEKEEPER_CLI_BINARY, args, {},
                             std::chrono::seconds{30});
  }

 private:
  static std::vector<std::string> with_ports(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--statekeeper.port=0", "--statekeeper.http.port=0"});
    return args;
  }

  scoped_child child_;
  std::string start_line_;
  std::string http_line_;
  int port_ = 0;
  std::string base_;
};

#define REQUIRE_HTTP(service)                                                  \
  do {                                                                         \
    INFO("HTTP line: " << (service).lines());                                  \
    REQUIRE((service).port() != 0);                                            \
  } while (false)

/// Checks the status of `r`, showing what came back otherwise.
#define CHECK_STATUS(r, code)                                                  \
  do {                                                                         \
    const auto& checked = (r);                                                 \
    INFO("body: " << checked.body << "\ncurl: " << checked.error);             \
    CHECK(checked.status == (code));                                           \
  } while (false)

/// The value of the sample `series` (name and labels) in a /metrics text,
/// -1 if it is not there.
inline long metric_value(const std::string& metrics,
                         const std::string& series) {
  auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::atol(metrics.c_str() + at + series.size() + 2);
}

/// The "code" of an error body.
inline std::string code_of(const reply& r) {
  auto obj = r.json();
  return obj.contains("code") ? text(obj.at("code")) : std::string{};
}

} // namespace statekeeper::test
