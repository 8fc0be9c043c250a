// An intruder's tools, for the tests of what a hostile peer reaches: CAF
// 0.17 delivers a message from any connected peer to any actor whose handle
// once crossed the wire, by its (small, sequential) id; these make handles
// for every id of a node, and send each one what an intruder would try.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>

#include "messages/interfaces.hpp"
#include "messages/session.hpp"

namespace statekeeper::test {

/// The namespace the intruder is after.
inline const namespace_path victim{"globex", {"secrets"}};

// What the probe got back.
struct probe_outcome {
  /// Replies that carried a result: each one a hole.
  std::vector<std::string> answered;
  /// Errors: refused (unauthorized, an interface without that message...).
  size_t refused = 0;
  /// Requests without any reply within the probe's timeout.
  size_t silent = 0;
};

// Sends every target the operations an intruder would try: plain ones (as
// to a router or namespace actor), ones with a made-up session key (as to a
// session), and forged watch events (as to a watcher's relay).
inline caf::behavior
probe_impl(caf::event_based_actor* self, std::vector<caf::actor> targets,
           std::shared_ptr<std::promise<probe_outcome>> done) {
  auto outcome = std::make_shared<probe_outcome>();
  auto pending = std::make_shared<size_t>(0);
  auto finish = [self, outcome, pending, done] {
    if (--*pending == 0) {
      done->set_value(*outcome);
      self->quit();
    }
  };
  auto on_error = [outcome, finish](caf::error& err) {
    if (err == caf::sec::request_timeout)
      ++outcome->silent;
    else
      ++outcome->refused;
    finish();
  };
  auto answered = [outcome, finish](std::string what) {
    outcome->answered.push_back(std::move(what));
    finish();
  };
  const auto t = std::chrono::seconds{5};
  session_key guess{};
  watch_event forged;
  forged.kind = watch_event_kind::put;
  forged.key = "k";
  forged.value = "pwned";
  for (auto& target : targets) {
    *pending += 7;
    self->request(target, t, get_atom::value, victim, std::string{"k"})
        .then(
            [=](caf::optional<entry>& e) {
              answered("get: " + (e ? e->value : std::string{"none"}));
            },
            on_error);
    self->request(target, t, put_atom::value, victim, std::string{"k"},
                  std::string{"pwned"}, ttl_option{})
        .then([=](uint64_t) { answered("put"); }, on_error);
    self->request(target, t, list_ns_atom::value, namespace_path{})
        .then([=](std::vector<namespace_path>&) { answered("list"); },
              on_error);
    self->request(target, t, guess, get_atom::value, victim, std::string{"k"})
        .then(
            [=](caf::optional<entry>& e) {
              answered("keyed get: " + (e ? e->value : std::string{"none"}));
            },
            on_error);
    self->request(target, t, guess, put_atom::value, victim, std::string{"k"},
                  std::string{"pwned"}, ttl_option{})
        .then([=](uint64_t) { answered("keyed put"); }, on_error);
    self->request(target, t, event_atom::value, uint64_t{1},
                  watch_batch{std::vector<watch_event>{forged}})
        .then([=]() { answered("event"); }, on_error);
    self->request(target, t, event_atom::value, guess, watcher_actor{},
                  uint64_t{1}, watch_batch{std::vector<watch_event>{forged}})
        .then([=]() { answered("keyed event"); }, on_error);
  }
  return {[](caf::unit_t) {}};
}

// Handles, on the probe's node, for the actors 1..`last` of `node`, made as
// CAF makes them for ids it reads from the wire.
inline std::vector<caf::actor> every_actor_of(caf::actor_system& sys,
                                              const caf::node_id& node,
                                              caf::actor_id last) {
  auto& mm = sys.middleman();
  auto broker =
      static_cast<caf::io::basp_broker*>(caf::actor_cast<caf::abstract_actor*>(
          mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"))));
  std::promise<std::vector<caf::actor>> made;
  mm.run_later([&] {
    // CAF keeps, per thread, the node a message being read came from, and
    // leaves it pointing at a finished read: these ids come from no one.
    broker->set_last_hop(nullptr);
    std::vector<caf::actor> result;
    for (caf::actor_id id = 1; id <= last; ++id)
      if (auto proxy = broker->instance.proxies().get_or_put(node, id))
        result.push_back(caf::actor_cast<caf::actor>(proxy));
    made.set_value(std::move(result));
  });
  return made.get_future().get();
}

/// Sends every actor 1..`last` of the node `node` (connected from
/// `intruder`, without logging in) what probe_impl tries; returns what
/// came back.
inline probe_outcome probe_every_actor(caf::actor_system& intruder,
                                       const caf::node_id& node,
                                       caf::actor_id last) {
  auto targets = every_actor_of(intruder, node, last);
  auto done = std::make_shared<std::promise<probe_outcome>>();
  auto result = done->get_future();
  intruder.spawn(probe_impl, std::move(targets), done);
  return result.get();
}

} // namespace statekeeper::test
