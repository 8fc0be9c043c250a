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
#include <utility>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/blocking_client.hpp"
#include "actors/remote/remote.hpp"
#include "app/cli/cli_args.hpp"
#include "app/cli/cli_output.hpp"
#include "app/cli/cli_usage.hpp"
#include "app/cli/cli_watch.hpp"
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
      return "cannot read --file \"" + inv.value_argument +
             "\": " + std::strerror(errno);
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
      return std::string{"cannot read standard input: "} + std::strerror(errno);
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

/// What a command runs with.
struct command_context {
  caf::actor_system& sys;
  statekeeper::router_actor router;
  statekeeper::blocking_client& client;
  const cli::invocation& inv;
  /// The value of a write, read from its source.
  const std::string& value;
  cli::output_format format;

  int failed(const caf::error& err) const { return fail(client.render(err)); }
};

/// Runs the command `Kind` and prints its result; returns the exit status.
/// One specialization per command_kind; app/cli/cli_commands.hpp has the rest
/// of each command. A command without one does not link.
template <cli::command_kind Kind> int run_command(command_context& c);

using k = cli::command_kind;

template <> int run_command<k::get>(command_context& c) {
  auto found = c.client.get(c.inv.ns, c.inv.key);
  if (!found)
    return c.failed(found.error());
  if (!*found) {
    print(cli::render_absent(c.format, c.inv.ns, c.inv.key));
    return absent_key(c.inv);
  }
  print(cli::render_entry(c.format, c.inv.ns, **found, c.inv.raw));
  return exit_success;
}

/// Prints `result` with `render(format, value)`: exit 0, or the error.
template <class T, class Render>
int print_result(command_context& c, caf::expected<T> result, Render render) {
  if (!result)
    return c.failed(result.error());
  print(render(c.format, *result));
  return exit_success;
}

// put, create, update: print the new version.
int print_version(command_context& c, caf::expected<uint64_t> version) {
  return print_result(c, std::move(version), cli::render_version);
}

template <> int run_command<k::put>(command_context& c) {
  return print_version(
      c, c.client.put(c.inv.ns, c.inv.key, c.value, ttl_of(c.inv)));
}

template <> int run_command<k::create>(command_context& c) {
  return print_version(
      c, c.client.create(c.inv.ns, c.inv.key, c.value, ttl_of(c.inv)));
}

template <> int run_command<k::update>(command_context& c) {
  return print_version(c,
                       c.client.update(c.inv.ns, c.inv.key, c.value,
                                       *c.inv.expected_version, ttl_of(c.inv)));
}

template <> int run_command<k::erase>(command_context& c) {
  auto& inv = c.inv;
  auto erased = inv.expected_version
                    ? c.client.erase_if(inv.ns, inv.key, *inv.expected_version)
                    : c.client.erase(inv.ns, inv.key);
  if (!erased)
    return c.failed(erased.error());
  print(cli::render_erased(c.format, *erased));
  return *erased ? exit_success : absent_key(inv);
}

template <> int run_command<k::keys>(command_context& c) {
  auto& inv = c.inv;
  auto page = c.client.list_keys(inv.ns, inv.prefix, inv.after, inv.limit);
  if (!page)
    return c.failed(page.error());
  print(cli::render_keys(c.format, *page));
  if (page->more && !page->keys.empty() && !inv.json)
    std::cerr << "statekeeper-cli: more keys after \"" << page->keys.back()
              << "\" (use --after)" << std::endl;
  return exit_success;
}

template <> int run_command<k::namespaces>(command_context& c) {
  return print_result(c, c.client.list_namespaces(c.inv.ns),
                      cli::render_namespaces);
}

template <> int run_command<k::count>(command_context& c) {
  return print_result(c, c.client.key_count(c.inv.ns), cli::render_count);
}

template <> int run_command<k::exists>(command_context& c) {
  auto exists = c.client.namespace_exists(c.inv.ns);
  if (!exists)
    return c.failed(exists.error());
  print(cli::render_exists(c.format, *exists));
  return *exists ? exit_success : exit_absent;
}

template <> int run_command<k::clear>(command_context& c) {
  return print_result(c, c.client.clear(c.inv.ns), cli::render_removed);
}

// expire, persist: whether the key was there.
int print_found(command_context& c, caf::expected<bool> found) {
  if (!found)
    return c.failed(found.error());
  print(cli::render_found(c.format, *found));
  return *found ? exit_success : absent_key(c.inv);
}

template <> int run_command<k::expire>(command_context& c) {
  return print_found(c, c.client.expire(c.inv.ns, c.inv.key, c.inv.duration));
}

template <> int run_command<k::persist>(command_context& c) {
  return print_found(c, c.client.persist(c.inv.ns, c.inv.key));
}

template <> int run_command<k::watch>(command_context& c) {
  return cli::run_watch(c.sys, c.router, c.inv);
}

template <> int run_command<k::cluster>(command_context& c) {
  return print_result(c, c.client.members(), cli::render_members);
}

template <size_t... I>
int dispatch(command_context& c, std::index_sequence<I...>) {
  using runner = int (*)(command_context&);
  static constexpr runner runners[] = {
      &run_command<static_cast<cli::command_kind>(I)>...};
  return runners[static_cast<size_t>(c.inv.command)](c);
}

// Connects, runs the command and drops the session before `sys` goes.
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
  statekeeper::blocking_client client{sys, *router, conn.timeout};
  command_context context{
      sys,    *router,
      client, inv,
      value,  inv.json ? cli::output_format::json : cli::output_format::plain};
  return dispatch(context, std::make_index_sequence<cli::command_count>{});
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
