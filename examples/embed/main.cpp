// Embedding statekeeper in a CAF application: spawn the service in your own
// actor system, talk to it from an actor with typed requests and from plain
// code with the blocking client. Exits 0 if every step behaved as expected.
#include <iostream>

#include <caf/all.hpp>

#include <statekeeper/statekeeper.hpp>

namespace sk = statekeeper;

namespace {

// An event-based actor that writes one entry and reads it back.
caf::behavior writer(caf::event_based_actor* self, sk::router_actor router,
                     caf::actor reply_to) {
  sk::namespace_path ns{"acme", {"agent-a", "conv-1"}};
  self->request(router, std::chrono::seconds{5}, sk::put_atom::value, ns,
                std::string{"greeting"}, std::string{"hello"}, sk::ttl_option{})
    .then(
      [=](uint64_t version) {
        self->request(router, std::chrono::seconds{5}, sk::get_atom::value, ns,
                      std::string{"greeting"})
          .then(
            [=](caf::optional<sk::entry>& found) {
              bool ok = found && found->value == "hello"
                        && found->version == version;
              self->send(reply_to, ok);
            },
            [=](caf::error&) { self->send(reply_to, false); });
      },
      [=](caf::error& err) {
        std::cerr << "put failed: " << self->system().render(err) << '\n';
        self->send(reply_to, false);
      });
  return {};
}

} // namespace

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  sk::register_types(cfg);
  if (auto err = cfg.parse(argc, argv))
    return 2;
  caf::actor_system sys{cfg};

  sk::service_options opts;
  opts.sweep_interval = std::chrono::milliseconds{100};
  auto router = sk::spawn_service(sys, opts);
  if (!router) {
    std::cerr << "cannot start: " << sys.render(router.error()) << '\n';
    return 1;
  }

  // From an actor.
  caf::scoped_actor waiter{sys};
  sys.spawn(writer, *router, caf::actor{waiter});
  bool actor_ok = false;
  waiter->receive([&](bool ok) { actor_ok = ok; });
  std::cout << "actor round trip: " << (actor_ok ? "ok" : "FAILED") << '\n';

  // From plain code.
  sk::blocking_client client{sys, *router};
  sk::namespace_path ns{"acme", {"agent-a", "conv-1"}};
  auto created = client.create(ns, "greeting", "again");
  std::cout << "create on an existing key: "
            << (created ? "unexpected success" : client.render(created.error()))
            << '\n';
  auto count = client.key_count(ns);
  std::cout << "keys in " << sk::render(ns) << ": "
            << (count ? std::to_string(*count) : client.render(count.error()))
            << '\n';

  sk::stop_service(*router);
  bool ok = actor_ok && !created
            && sk::has_code(created.error(), sk::error_code::already_exists)
            && count && *count == 1;
  return ok ? 0 : 1;
}
