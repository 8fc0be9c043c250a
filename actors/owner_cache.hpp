// Reaching owners directly. A caller resolves a namespace once through the
// router (owner_directory), caches its owner and sends it the namespace
// operations itself, so requests to different namespaces never share a
// mailbox on their way. An owner that was retired (passivation) or that
// stopped answers, or CAF answers for it, with
// caf::sec::request_receiver_down: the request was not handled, so the
// caller resolves again and resends it, and no user sees that error. The
// blocking client and the remote sessions work this way; any in-process
// actor can, through `request_owner`. One cache per caller; not
// thread-safe.
//
// Several nodes: an owner on this node that does not hold its namespace's
// lease answers `not_owner` naming the node that does. The caller then
// asks the directory for a session with that node (a peer), caches it in
// place of the owner and sends it the request: one hop, as the session on
// the owner's node (a peer session) does not forward again. A peer whose
// connection failed is forgotten, and the next request finds the owner
// anew.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>

#include "messages/cluster.hpp"
#include "messages/error.hpp"
#include "messages/interfaces.hpp"
#include "messages/namespace_path.hpp"

namespace statekeeper {

/// What a caller does after a request to a cached owner failed (see
/// owner_cache::after_failure).
struct failure_plan {
  enum step_t {
    /// Give the caller the error.
    fail,
    /// Send the request again: to the owner resolved anew.
    resend,
    /// Send it again to the node `to`, through a session with it.
    forward,
  } step = fail;
  caf::optional<member_info> to;
  /// A session with this member failed: tell the directory (forget_peer).
  uint64_t dropped_peer = 0;
};

class owner_cache {
 public:
  /// Remembers at most `capacity` owners: beyond, it forgets those that
  /// stopped, or else starts over. With `forwards` false (a peer session),
  /// a `not_owner` goes back to the caller instead of to the owner it names.
  explicit owner_cache(router_actor router, size_t capacity = 1024,
                       bool forwards = true)
      : router_(std::move(router)), capacity_(capacity), forwards_(forwards) {
    // nop
  }

  /// Returns the cached owner of the namespace rendered as `name` if it
  /// still runs, or null.
  namespace_operations find(const std::string& name) const {
    auto i = owners_.find(name);
    if (i == owners_.end())
      return {};
    return caf::actor_cast<namespace_operations>(i->second);
  }

  void remember(const std::string& name, const namespace_operations& owner) {
    if (owners_.size() >= capacity_)
      forget_stopped();
    if (owners_.size() >= capacity_) {
      owners_.clear();
      peers_.clear();
    }
    // Weak: a cached owner that stops is not kept running by the cache
    // (CAF keeps only its storage until the last weak reference goes).
    owners_[name] = owner.address();
    peers_.erase(name);
  }

  /// Remembers `peer`, a session with member `member`, the node that owns
  /// the namespace rendered as `name`.
  void remember_peer(const std::string& name, const router_actor& peer,
                     uint64_t member) {
    remember(name, caf::actor_cast<namespace_operations>(peer));
    peers_[name] = member;
  }

  /// The member whose session is cached for `name`; 0 if an owner on this
  /// node is, or nothing.
  uint64_t peer_of(const std::string& name) const {
    auto i = peers_.find(name);
    return i == peers_.end() ? 0 : i->second;
  }

  void forget(const std::string& name) {
    owners_.erase(name);
    peers_.erase(name);
  }

  /// The node to send a request to that failed with `err`: the owner a
  /// `not_owner` names, unless this cache does not forward.
  caf::optional<member_info> forward_to(const caf::error& err) const {
    if (!forwards_)
      return caf::none;
    return holder_of(err);
  }

  /// Forgets what `err`, the failure of attempt `attempt` (from 0) of a
  /// request to the cached owner of `name`, shows is gone, and says what
  /// to do next. Defined below.
  failure_plan after_failure(const std::string& name, const caf::error& err,
                             int attempt);

  const router_actor& router() const { return router_; }

  /// The router, as the directory of owners it also is.
  owner_directory directory() const {
    return caf::actor_cast<owner_directory>(router_);
  }

 private:
  void forget_stopped() {
    for (auto i = owners_.begin(); i != owners_.end();) {
      if (caf::actor_cast<caf::strong_actor_ptr>(i->second)) {
        ++i;
      } else {
        peers_.erase(i->first);
        i = owners_.erase(i);
      }
    }
  }

  router_actor router_;
  size_t capacity_;
  bool forwards_;
  std::unordered_map<std::string, caf::actor_addr> owners_;
  /// The cached owners that are sessions with other nodes: their member.
  std::unordered_map<std::string, uint64_t> peers_;
};

/// Whether `err` says that an owner did not handle a request because it was
/// retired or stopped: resolve again and resend.
inline bool owner_moved(const caf::error& err) {
  return err == caf::sec::request_receiver_down;
}

/// Whether `err`, from a session with another node, says that the node
/// could not be reached or did not answer in time.
inline bool peer_failed(const caf::error& err) {
  return has_code(err, error_code::storage_unavailable) ||
         has_code(err, error_code::timeout) || err == caf::sec::request_timeout;
}

/// How many owners a request is sent to before it goes through the router
/// (which always reaches the current one).
constexpr int owner_attempts = 3;

inline failure_plan owner_cache::after_failure(const std::string& name,
                                               const caf::error& err,
                                               int attempt) {
  if (owner_moved(err)) {
    forget(name);
    return {failure_plan::resend, caf::none, 0};
  }
  auto peer = peer_of(name);
  if (peer != 0 && peer_failed(err)) {
    // The connection failed or the node does not answer (it may be
    // paused): the request may or may not have reached the owner, so it is
    // not resent; the next one finds the owner anew.
    forget(name);
    return {failure_plan::fail, caf::none, peer};
  }
  // Another node that no longer owns the namespace: find its owner anew,
  // here or where the error says.
  auto moved_on = peer != 0 && has_code(err, error_code::not_owner);
  if (moved_on)
    forget(name);
  auto holder = forward_to(err);
  if (attempt + 1 >= owner_attempts || !(holder || moved_on))
    return {failure_plan::fail, caf::none, 0};
  if (!holder)
    return {failure_plan::resend, caf::none, 0};
  // Not applied: resend to the node that owns the namespace.
  return {failure_plan::forward, std::move(holder), 0};
}

/// Whether requests with `Atom` go to a namespace's owner: every namespace
/// operation but namespace_exists, which the router answers from the
/// database for a namespace that is not active instead of activating it.
/// The service-wide operations go to the router.
template <class Atom>
constexpr bool goes_to_owner =
    !std::is_same_v<Atom, ns_exists_atom> &&
    !std::is_same_v<Atom, list_ns_atom> && !std::is_same_v<Atom, sync_atom> &&
    !std::is_same_v<Atom, stats_atom> && !std::is_same_v<Atom, members_atom>;


namespace detail {

template <class Reply, class Self, class Timeout, class OnReply, class OnError,
          class Atom, class... Ts>
void request_owner_attempt(Self* self, owner_cache* cache, Timeout timeout,
                           OnReply on_reply, OnError on_error, int attempt,
                           std::string name, Atom atom, namespace_path ns,
                           Ts... xs) {
  if (attempt >= owner_attempts) {
    self->request(cache->router(), timeout, atom, std::move(ns),
                  std::move(xs)...)
        .then([on_reply](Reply& reply) mutable { on_reply(reply); },
              [on_error](caf::error& err) mutable { on_error(err); });
    return;
  }
  auto send = [=](const namespace_operations& owner) mutable {
    self->request(owner, timeout, atom, ns, xs...)
        .then(
            [on_reply](Reply& reply) mutable { on_reply(reply); },
            [=](caf::error& err) mutable {
              auto next = [=]() mutable {
                request_owner_attempt<Reply>(self, cache, timeout, on_reply,
                                             on_error, attempt + 1, name, atom,
                                             ns, xs...);
              };
              auto plan = cache->after_failure(name, err, attempt);
              if (plan.dropped_peer != 0)
                self->send(cache->directory(), forget_peer_atom::value,
                           plan.dropped_peer);
              if (plan.step == failure_plan::fail) {
                on_error(err);
                return;
              }
              if (plan.step == failure_plan::resend) {
                next();
                return;
              }
              auto holder = *plan.to;
              self->request(cache->directory(), timeout, peer_atom::value,
                            holder)
                  .then(
                      [=](router_actor& peer) mutable {
                        cache->remember_peer(name, peer, holder.id);
                        next();
                      },
                      // Nothing was sent. The node that placement preferred
                      // is passed over now: this one may take the
                      // namespace.
                      [=](caf::error&) mutable { next(); });
            });
  };
  if (auto owner = cache->find(name)) {
    send(owner);
    return;
  }
  self->request(cache->directory(), timeout, resolve_atom::value, ns)
      .then(
          [=](namespace_operations& owner) mutable {
            cache->remember(name, owner);
            send(owner);
          },
          [on_error](caf::error& err) mutable { on_error(err); });
}

} // namespace detail

/// Sends `(atom, ns, xs...)` from the event-based actor `self` to the owner
/// of `ns`, found through `cache` (which must outlive the request: keep it
/// in `self`'s state), and calls `on_reply(Reply&)` or
/// `on_error(caf::error&)`. Resolves the owner if it is not cached, and
/// again, resending, when it moved; after `owner_attempts` owners the
/// request goes through the router. `timeout` (a caf::timespan, or
/// caf::infinite for none) applies to each hop.
template <class Reply, class Self, class Timeout, class OnReply, class OnError,
          class Atom, class... Ts>
void request_owner(Self* self, owner_cache& cache, Timeout timeout,
                   OnReply on_reply, OnError on_error, Atom atom,
                   namespace_path ns, Ts... xs) {
  auto name = render(ns);
  detail::request_owner_attempt<Reply>(
      self, &cache, timeout, std::move(on_reply), std::move(on_error), 0,
      std::move(name), atom, std::move(ns), std::move(xs)...);
}

/// Sends `(atom, xs...)` where it is handled: a namespace operation to the
/// namespace's owner (request_owner), a service-wide one to the router.
template <class Reply, class Self, class Timeout, class OnReply, class OnError,
          class Atom, class... Ts>
void request_service(Self* self, owner_cache& cache, Timeout timeout,
                     OnReply on_reply, OnError on_error, Atom atom, Ts... xs) {
  if constexpr (goes_to_owner<Atom>)
    request_owner<Reply>(self, cache, timeout, std::move(on_reply),
                         std::move(on_error), atom, std::move(xs)...);
  else
    self->request(cache.router(), timeout, atom, std::move(xs)...)
        .then(std::move(on_reply), std::move(on_error));
}

} // namespace statekeeper
