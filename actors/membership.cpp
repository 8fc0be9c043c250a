#include "actors/membership.hpp"

#include <utility>

#include "actors/log.hpp"
#include "actors/namespace_durability.hpp"
#include "messages/error.hpp"

namespace statekeeper {

const char* membership_state::name = "statekeeper.membership";

namespace {

int64_t ticks(node_membership::clock::time_point t) {
  return t.time_since_epoch().count();
}

} // namespace

node_membership::node_membership(cluster_options opts)
    : opts_(std::move(opts)) {
  // Positive: it is stored as a bigint.
  me_.id = fresh_incarnation() >> 1;
  if (me_.id == 0)
    me_.id = 1;
  me_.name = opts_.node_name;
  me_.address = opts_.address;
  me_.port = opts_.port;
}

bool node_membership::live() const {
  return ticks(clock::now()) < live_until_.load(std::memory_order_acquire);
}

bool node_membership::serves(uint64_t term) const {
  // live_until_ first: a term bumped before it was extended is seen.
  return live() && term_.load(std::memory_order_acquire) == term;
}

void node_membership::renewed(clock::time_point started, caf::timespan gap) {
  // Others count the node dead a member timeout after its heartbeat, which
  // came after `started`; a fifth of it is left for the clocks' drift and
  // the time between an owner's check and its reply.
  auto until = started + opts_.member_timeout * 4 / 5;
  bool lapsed = ticks(started) >= live_until_.load(std::memory_order_acquire);
  if (lapsed || gap >= opts_.member_timeout)
    term_.fetch_add(1, std::memory_order_acq_rel);
  live_until_.store(ticks(until), std::memory_order_release);
}

void node_membership::leaving() {
  term_.fetch_add(1, std::memory_order_acq_rel);
  live_until_.store(0, std::memory_order_release);
}

namespace {

using membership_pointer = membership_actor::stateful_pointer<membership_state>;

/// One heartbeat: connects and joins if needed.
void beat(membership_pointer self) {
  auto& st = self->state;
  auto started = node_membership::clock::now();
  if (!st.db->connected()) {
    if (auto err = st.db->connect()) {
      log(log_level::warning, "cluster heartbeat: " + caf::to_string(err));
      return;
    }
  }
  auto gap = st.db->heartbeat(st.node->me().id);
  if (!gap && has_code(gap.error(), error_code::not_found)) {
    // Removed while this node ran: join again. Others may have taken its
    // namespaces meanwhile.
    if (auto err = st.db->join(st.node->me())) {
      log(log_level::warning, "cluster join: " + caf::to_string(err));
      return;
    }
    gap = st.node->options().member_timeout;
  }
  if (!gap) {
    log(log_level::warning,
        "cluster heartbeat: " + caf::to_string(gap.error()));
    return;
  }
  st.node->renewed(started, *gap);
}

} // namespace

membership_actor::behavior_type
membership_actor_impl(membership_pointer self,
                      std::shared_ptr<node_membership> node,
                      durable_store_factory open_store) {
  self->state.node = std::move(node);
  self->state.db = open_store();
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    // Others take its namespaces once it is gone: it stops serving first.
    st.node->leaving();
    if (st.db->connected() || !st.db->connect())
      if (auto err = st.db->leave(st.node->me().id))
        log(log_level::warning, "cluster leave: " + caf::to_string(err));
    self->quit(msg.reason);
  });
  self->send(self, heartbeat_atom::value);
  return {
      [self](heartbeat_atom) {
        beat(self);
        self->delayed_send(self, self->state.node->options().heartbeat_interval,
                           heartbeat_atom::value);
      },
  };
}

} // namespace statekeeper
