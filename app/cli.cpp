// statekeeper-cli: runs one operation on a statekeeper service over CAF
// networking and prints its result, or prints a namespace's changes as they
// happen (watch), for shells and scripts. The command line is parsed before
// anything else: --help and usage errors need no service and start no actor
// system.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/blocking_client.hpp"
#include "actors/remote.hpp"
#include "app/cli_args.hpp"
#include "app/cli_output.hpp"
#include "app/cli_usage.hpp"
#include "app/cli_watch.hpp"
#include "messages/error.hpp"
#include "messages/register.hpp"

namespace {

namespace cli = statekeeper::cli;

constexpr int exit_success = 0;
/// The key (for exists: the namespace) is absent.
constexpr int exit_absent = 1;
/// Usage errors, connection failures and service errors.
constexpr int exit_failure = 2;

int fail(std::string_view what) {
  std::cerr << "statekeeper-cli: " << what << std::endl;
  return exit_failure;
}

void print(const std::string& text) {
  std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
}

/// The client's actor system: networking, TLS and the statekeeper types.
class cli_config : public caf::actor_system_config {
public:
  explicit cli_config(const cli::connection_args& conn) {
    load<caf::io::middleman>();
    if (conn.tls)
      load<caf::openssl::manager>();
    statekeeper::register_types(*this);
    // One request at a time needs few threads; CAF starts max(cores, 4).
    set("scheduler.max-threads", 2);
    openssl_certificate = conn.certificate;
    openssl_key = conn.key;
    openssl_cafile = conn.cafile;
  }
};

// Appends every byte readable from `fd` to `out`; false on a read error.
bool read_all(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else if (n == 0)
      return true;
    else if (errno != EINTR)
      return false;
  }
}

// Reads the value of a write from its source. Returns what went wrong, or
// "" on success.
std::string read_value(const cli::invocation& inv, std::string& value) {
  switch (inv.source) {
    case cli::value_source::none:
      return {};
    case cli::value_source::argument:
      value = inv.value_argument;
      return {};
    case cli::value_source::file: {
      auto what = [&] {
        return "cannot read --file \"" + inv.value_argument
               + "\": " + std::strerror(errno);
      };
      int fd = ::open(inv.value_argument.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return what();
      bool ok = read_all(fd, value);
      auto problem = ok ? std::string{} : what();
      ::close(fd);
      return problem;
    }
    case cli::value_source::standard_input:
      if (!read_all(STDIN_FILENO, value))
        return std::string{"cannot read standard input: "}
               + std::strerror(errno);
      return {};
  }
  return {};
}

// Says on stderr, in plain mode, that the key of `inv` is absent; in JSON
// mode standard output says it.
int absent_key(const cli::invocation& inv) {
  if (!inv.json)
    std::cerr << "statekeeper-cli: key \"" << inv.key << "\" not found in "
              << statekeeper::render(inv.ns) << std::endl;
  return exit_absent;
}

statekeeper::ttl_option ttl_of(const cli::invocation& inv) {
  if (inv.ttl)
    return *inv.ttl;
  return caf::none;
}

// Runs the operation of `inv` and prints its result. Returns the exit code.
int run(statekeeper::blocking_client& client, const cli::invocation& inv,
        const std::string& value) {
  auto format = inv.json ? cli::output_format::json : cli::output_format::plain;
  auto failed = [&](const caf::error& err) { return fail(client.render(err)); };
  auto& ns = inv.ns;
  auto& key = inv.key;
  switch (inv.command) {
    case cli::command_kind::get: {
      auto found = client.get(ns, key);
      if (!found)
        return failed(found.error());
      if (!*found) {
        print(cli::render_absent(format, ns, key));
        return absent_key(inv);
      }
      print(cli::render_entry(format, ns, **found, inv.raw));
      return exit_success;
    }
    case cli::command_kind::put:
    case cli::command_kind::create:
    case cli::command_kind::update: {
      auto version
        = inv.command == cli::command_kind::put
            ? client.put(ns, key, value, ttl_of(inv))
          : inv.command == cli::command_kind::create
            ? client.create(ns, key, value, ttl_of(inv))
            : client.update(ns, key, value, *inv.expected_version,
                            ttl_of(inv));
      if (!version)
        return failed(version.error());
      print(cli::render_version(format, *version));
      return exit_success;
    }
    case cli::command_kind::erase: {
      auto erased = inv.expected_version
                      ? client.erase_if(ns, key, *inv.expected_version)
                      : client.erase(ns, key);
      if (!erased)
        return failed(erased.error());
      print(cli::render_erased(format, *erased));
      return *erased ? exit_success : absent_key(inv);
    }
    case cli::command_kind::keys: {
      auto page = client.list_keys(ns, inv.prefix, inv.after, inv.limit);
      if (!page)
        return failed(page.error());
      print(cli::render_keys(format, *page));
      if (page->more && !page->keys.empty() && !inv.json)
        std::cerr << "statekeeper-cli: more keys after \""
                  << page->keys.back() << "\" (use --after)" << std::endl;
      return exit_success;
    }
    case cli::command_kind::namespaces: {
      auto found = client.list_namespaces(ns);
      if (!found)
        return failed(found.error());
      print(cli::render_namespaces(format, *found));
      return exit_success;
    }
    case cli::command_kind::count: {
      auto count = client.key_count(ns);
      if (!count)
        return failed(count.error());
      print(cli::render_count(format, *count));
      return exit_success;
    }
    case cli::command_kind::exists: {
      auto exists = client.namespace_exists(ns);
      if (!exists)
        return failed(exists.error());
      print(cli::render_exists(format, *exists));
      return *exists ? exit_success : exit_absent;
    }
    case cli::command_kind::clear: {
      auto removed = client.clear(ns);
      if (!removed)
        return failed(removed.error());
      print(cli::render_removed(format, *removed));
      return exit_success;
    }
    case cli::command_kind::expire:
    case cli::command_kind::persist: {
      auto found = inv.command == cli::command_kind::expire
                     ? client.expire(ns, key, inv.duration)
                     : client.persist(ns, key);
      if (!found)
        return failed(found.error());
      print(cli::render_found(format, *found));
      return *found ? exit_success : absent_key(inv);
    }
    case cli::command_kind::watch:
      break; // connect_and_run runs watches
  }
  return fail("command not implemented");
}

// Connects, runs the operation and drops the session before `sys` goes.
int connect_and_run(caf::actor_system& sys, const cli::invocation& inv,
                    const std::string& value) {
  auto& conn = inv.connection;
  statekeeper::connect_options opts;
  opts.tls = conn.tls;
  opts.token = conn.token;
  opts.connect_timeout = conn.timeout;
  opts.request_timeout = conn.timeout;
  auto router = statekeeper::connect_service(sys, conn.host, conn.port, opts);
  if (!router)
    return fail(sys.render(router.error()));
  if (inv.command == cli::command_kind::watch)
    return cli::run_watch(sys, *router, inv);
  statekeeper::blocking_client client{sys, *router, conn.timeout};
  return run(client, inv, value);
}

} // namespace

int main(int argc, char** argv) {
  std::optional<std::string> env_token;
  if (auto token = std::getenv("STATEKEEPER_TOKEN"))
    env_token = token;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = cli::parse_args(args, env_token);
  if (auto help = std::get_if<cli::help_request>(&parsed)) {
    print(help->command ? cli::usage_text(*help->command) : cli::usage_text());
    return exit_success;
  }
  if (auto usage = std::get_if<cli::usage_error>(&parsed))
    return fail(usage->message);
  auto& inv = std::get<cli::invocation>(parsed);
  std::string value;
  if (auto problem = read_value(inv, value); !problem.empty())
    return fail(problem);
  cli_config cfg{inv.connection};
  if (auto err = statekeeper::validate_tls(cfg))
    return fail(statekeeper::context_of(err));
  // A watch ends on SIGINT or SIGTERM: block them before CAF starts its
  // threads, which inherit the mask, so that only run_watch receives them.
  if (inv.command == cli::command_kind::watch)
    cli::block_stop_signals();
  int result = exit_failure;
  {
    caf::actor_system sys{cfg};
    result = connect_and_run(sys, inv, value);
  }
  std::cout.flush();
  return result;
}
