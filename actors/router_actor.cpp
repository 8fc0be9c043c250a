#include "actors/router_actor.hpp"

#include <algorithm>
#include <set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/async_backlog.hpp"
#include "actors/namespace_actor.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/relay.hpp"
#include "actors/timer_actor.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* router_state::name = "statekeeper.router";

router_state::~router_state() {
  for (auto& kvp : active.owners)
    caf::anon_send_exit(kvp.second.handle, caf::exit_reason::user_shutdown);
}

namespace {

/// Forwards every namespace operation to the owner of its namespace, which
/// replies directly to the original sender.
struct owner_relay {
  router_pointer self;

  template <class Reply, class Atom, class... Ts>
  caf::result<Reply> call(Atom atom, namespace_path ns, Ts... xs) {
    return forward<Reply>(atom, std::move(ns), std::move(xs)...);
  }

  // An inactive namespace is answered by the database, not loaded.
  template <class Reply>
  caf::result<Reply> call(ns_exists_atom atom, namespace_path ns) {
    auto& st = self->state;
    if (!st.persistence.empty() && validate_namespace(ns) == caf::none) {
      auto name = render(ns);
      if (st.active.owners.count(name) == 0)
        return self->delegate(persistence_of(self, name), atom,
                              std::move(name));
    }
    return forward<Reply>(atom, std::move(ns));
  }

  template <class Reply, class Atom, class... Ts>
  caf::result<Reply> forward(Atom atom, namespace_path ns, Ts... xs) {
    auto owner = resolve(self, ns);
    if (!owner)
      return std::move(owner.error());
    return self->delegate(*owner, atom, std::move(ns), std::move(xs)...);
  }
};

const char* helper_name = "a namespace or persistence actor";

/// What a fan-in does with a target's error: answer with it at once, or
/// count the target as done without a reply (an owner that stopped
/// meanwhile).
enum class on_error { fail, skip };

/// Sends every target its request (`ask(self, target)` returns the request's
/// handle) and folds each reply into `acc` with `fold(acc, target, reply)`;
/// delivers `finish(acc)` to `rp` once every target answered.
template <class Reply, class Result, class Target, class Acc, class Ask,
          class Fold, class Finish>
void fan_in(router_pointer self, caf::typed_response_promise<Result> rp,
            const std::vector<Target>& targets, on_error errors, Acc acc,
            Ask ask, Fold fold, Finish finish) {
  if (targets.empty()) {
    rp.deliver(finish(acc));
    return;
  }
  struct gather {
    size_t pending;
    Acc acc;
  };
  auto g = std::make_shared<gather>(gather{targets.size(), std::move(acc)});
  auto done = [rp, g, finish]() mutable {
    if (--g->pending == 0 && rp.pending())
      rp.deliver(finish(g->acc));
  };
  for (auto& target : targets)
    ask(self, target)
        .then(
            [g, fold, done, target](Reply& reply) mutable {
              fold(g->acc, target, reply);
              done();
            },
            [rp, errors, done](caf::error& err) mutable {
              if (errors == on_error::skip)
                done();
              else if (rp.pending())
                rp.deliver(in_our_terms(std::move(err), helper_name));
            });
}

/// Asks every persistence actor (none in memory) with `xs...`.
template <class Reply, class Result, class Acc, class Fold, class... Ts>
caf::result<Result> ask_persistence(router_pointer self, Acc acc, Fold fold,
                                    Ts... xs) {
  auto rp = self->make_response_promise<Result>();
  fan_in<Reply>(
      self, rp, self->state.persistence, on_error::fail, std::move(acc),
      [xs...](router_pointer self, const persistence_actor& target) {
        return self->request(target, self->state.opts.internal_timeout, xs...);
      },
      [fold](Acc& acc, const persistence_actor&, Reply& x) { fold(acc, x); },
      [](Acc& acc) { return Result{acc}; });
  return rp;
}

using namespace_list = std::vector<namespace_path>;

/// In memory: the namespaces at or under `prefix` without an owner
/// (passivated) whose store, which the engine keeps, holds a live entry.
std::set<namespace_path> inactive_in_memory(router_pointer self,
                                            const namespace_path& prefix,
                                            bool everything) {
  std::set<namespace_path> found;
  auto& st = self->state;
  auto now = caf::make_timestamp();
  st.engine->visit([&](const std::string& name, const namespace_store& store) {
    if (st.active.owners.count(name) != 0)
      return; // its owner answers for it
    auto ns = parse_namespace(name);
    if (!ns || (!everything && !is_within(*ns, prefix)))
      return;
    bool live = false;
    store.scan("", "", [&](const std::string&, const stored_entry& e) {
      live = !e.expires_at || *e.expires_at > now;
      return !live;
    });
    if (live)
      found.insert(std::move(*ns));
  });
  return found;
}

/// Starts from `found` (what the database knows, or the engine's inactive
/// namespaces) and asks each owner about its own namespace: a live entry
/// adds it, none removes it. With PostgreSQL, an owner that stopped
/// meanwhile (passivated) leaves `found` as it was. In memory, one that
/// refused because it retired meanwhile left its namespace to the engine,
/// which is asked again, or to a new owner, which counts as live (it was
/// just used). Delivers the result sorted.
void ask_owners(router_pointer self,
                caf::typed_response_promise<namespace_list> rp,
                const std::vector<placement::owner>& owners,
                std::set<namespace_path> found, const namespace_path& prefix,
                bool everything) {
  struct listing {
    std::set<namespace_path> found;
    std::set<caf::actor_addr> answered;
  };
  fan_in<bool>(
      self, rp, owners, on_error::skip, listing{std::move(found), {}},
      [](router_pointer self, const placement::owner& owner) {
        return self->request(owner.handle, self->state.opts.internal_timeout,
                             ns_exists_atom::value, owner.ns);
      },
      [](listing& acc, const placement::owner& owner, bool exists) {
        acc.answered.insert(owner.handle.address());
        if (exists)
          acc.found.insert(owner.ns);
        else
          acc.found.erase(owner.ns);
      },
      [self, owners, prefix, everything](listing& acc) {
        if (self->state.engine) {
          caf::optional<std::set<namespace_path>> inactive;
          for (auto& owner : owners) {
            if (acc.answered.count(owner.handle.address()) != 0)
              continue;
            if (self->state.active.owners.count(render(owner.ns)) != 0) {
              acc.found.insert(owner.ns);
              continue;
            }
            if (!inactive)
              inactive = inactive_in_memory(self, prefix, everything);
            if (inactive->count(owner.ns) != 0)
              acc.found.insert(owner.ns);
          }
        }
        return namespace_list(acc.found.begin(), acc.found.end());
      });
}

/// Every namespace at or under `prefix` that holds a live entry: the
/// database's answer (with PostgreSQL), or the engine's passivated
/// namespaces (in memory), corrected by the active owners, whose latest
/// (async) writes may not be committed yet.
caf::result<namespace_list> list_namespaces(router_pointer self,
                                            const namespace_path& prefix) {
  bool everything = prefix.tenant.empty() && prefix.scopes.empty();
  if (!everything)
    if (auto err = validate_namespace(prefix))
      return err;
  auto& st = self->state;
  auto owners = owners_within(self, prefix);
  if (st.persistence.empty()) {
    auto inactive = inactive_in_memory(self, prefix, everything);
    if (owners.empty())
      return namespace_list(inactive.begin(), inactive.end());
    auto rp = self->make_response_promise<namespace_list>();
    ask_owners(self, rp, owners, std::move(inactive), prefix, everything);
    return rp;
  }
  auto rp = self->make_response_promise<namespace_list>();
  self->request(st.persistence.front(), st.opts.internal_timeout,
                list_ns_atom::value,
                everything ? std::string{} : render(prefix))
      .then(
          [self, rp, owners, prefix,
           everything](std::vector<std::string>& stored) mutable {
            std::set<namespace_path> found;
            for (auto& name : stored)
              if (auto ns = parse_namespace(name))
                found.insert(std::move(*ns));
            ask_owners(self, rp, owners, std::move(found), prefix, everything);
          },
          [rp](caf::error& err) mutable {
            if (rp.pending())
              rp.deliver(in_our_terms(std::move(err), helper_name));
          });
  return rp;
}

/// The timer's tick: idle owners retire, and expired rows of inactive
/// namespaces are purged (up to ten bounded deletes per tick).
void on_tick(router_pointer self) {
  auto& st = self->state;
  retire_idle(self);
  hand_over_misplaced(self);
  if (!st.persistence.empty())
    self->request(st.persistence.front(), st.opts.internal_timeout,
                  purge_atom::value)
        .then([](uint64_t) {}, [](caf::error&) {});
}

} // namespace

service_router_actor::behavior_type
router_actor_impl(router_pointer self, service_options opts,
                  std::shared_ptr<storage_engine> engine,
                  std::shared_ptr<node_membership> node) {
  self->state.opts = opts;
  self->state.engine = std::move(engine);
  self->state.node = node;
  if (opts.postgres) {
    if (opts.postgres->mode == durability::async)
      self->state.backlog = self->spawn<caf::linked>(
          async_backlog_impl, opts.postgres->async_max_pending);
    // Detached: libpqxx blocks. Linked: they stop with the router, after
    // committing what they hold (see persistence_actor_impl).
    // Several nodes: a transaction idle for a member timeout belongs to a
    // node that is paused or gone; the server ends it, and its locks go.
    auto open_store = postgres_store_factory(
        opts.postgres->conninfo,
        node ? node->options().member_timeout : caf::timespan{0});
    for (size_t i = 0; i < opts.postgres->connections; ++i)
      self->state.persistence.push_back(
          self->spawn<caf::detached + caf::linked>(persistence_actor_impl,
                                                   *opts.postgres, open_store,
                                                   self->state.backlog, node));
    // Detached: it blocks on its own connection. Linked: the node leaves
    // the cluster when the service stops.
    if (node) {
      self->state.membership = self->spawn<caf::detached + caf::linked>(
          membership_actor_impl, node, open_store);
      connect_options peering;
      peering.tls = node->options().tls;
      peering.token = node->options().peer_token;
      peering.connect_timeout = std::chrono::seconds{2};
      // A node that does not answer within two member timeouts is paused
      // or gone: the caller drops its session (owner_cache.hpp).
      peering.request_timeout = 2 * node->options().member_timeout;
      self->state.peers =
          self->spawn<caf::detached + caf::linked>(peers_impl, peering, node);
    }
  }
  self->state.timer =
      self->spawn(timer_actor_impl, caf::actor_cast<service_router_actor>(self),
                  opts.sweep_interval);
  self->set_down_handler([self](caf::down_msg& msg) { owner_down(self, msg); });
  return relay_of<namespace_operations>::behavior<service_router_actor>(
      owner_relay{self}, //
      [self](tick_atom) { on_tick(self); },
      [self](resolve_atom,
             const namespace_path& ns) -> caf::result<namespace_operations> {
        auto owner = resolve(self, ns);
        if (!owner)
          return std::move(owner.error());
        return caf::actor_cast<namespace_operations>(*owner);
      },
      [self](members_atom) -> caf::result<std::vector<member_status>> {
        if (!self->state.node)
          return make_error(error_code::invalid_argument,
                            "this service is a single node "
                            "(statekeeper.cluster.enable is off)");
        return self->delegate(self->state.persistence.front(),
                              members_atom::value);
      },
      [self](peer_atom, member_info& member) -> caf::result<router_actor> {
        auto& peers = self->state.peers;
        if (!peers)
          return make_error(error_code::invalid_argument,
                            "this service is a single node");
        return self->delegate(peers, peer_atom::value, std::move(member));
      },
      [self](forget_peer_atom, uint64_t id) {
        if (self->state.peers)
          self->send(self->state.peers, forget_peer_atom::value, id);
      },
      [self](list_ns_atom, const namespace_path& prefix) {
        return list_namespaces(self, prefix);
      },
      [self](sync_atom) -> caf::result<ok_atom> {
        // In memory every acknowledged write is as durable as it gets; with
        // PostgreSQL, each persistence actor commits what it holds.
        return ask_persistence<ok_atom, ok_atom>(
            self, ok_atom::value, [](ok_atom&, ok_atom) {}, sync_atom::value);
      },
      [self](counted_atom, uint64_t expired, int64_t watchers) {
        if (auto who = self->current_sender())
          count_usage(self, who->address(), expired, watchers);
      },
      [self](stats_atom) -> caf::result<service_stats> {
        auto& active = self->state.active;
        service_stats init;
        init.active_namespaces = active.owners.size();
        init.activations = active.activations;
        init.passivations = active.passivations;
        init.expired_entries = active.expired_entries;
        init.watchers =
            static_cast<uint64_t>(std::max<int64_t>(active.watchers, 0));
        init.leases_lost = active.leases_lost;
        init.handovers = active.handovers;
        if (auto& node = self->state.node)
          init.cluster_members = node->members_seen();
        return ask_persistence<persistence_stats, service_stats>(
            self, init,
            [](service_stats& acc, const persistence_stats& x) {
              acc.commits += x.commits;
              acc.batches += x.batches;
              acc.commit_failures += x.failures;
              acc.leases_taken += x.leases;
              acc.fenced_batches += x.fenced;
              acc.commit_seconds.merge(x.commit_seconds);
              acc.commit_batches.merge(x.commit_batches);
            },
            stats_atom::value);
      });
}

} // namespace statekeeper
