#include "actors/membership.hpp"

#include <algorithm>
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

/// Whether placement ranks `x` before `y` for `name`: by rank, then by id.
bool outranks(const member_info& x, const member_info& y,
              const std::string& name) {
  auto rx = placement_rank(x.id, name);
  auto ry = placement_rank(y.id, name);
  return rx > ry || (rx == ry && x.id > y.id);
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

void node_membership::saw_members(std::vector<member_info> live) {
  auto by_id = [](const member_info& x, const member_info& y) {
    return x.id < y.id;
  };
  std::sort(live.begin(), live.end(), by_id);
  std::lock_guard<std::mutex> guard{mtx_};
  bool same = live.size() == view_.size() &&
              std::equal(live.begin(), live.end(), view_.begin(),
                         [](const member_info& x, const member_info& y) {
                           return x.id == y.id && x.port == y.port &&
                                  x.address == y.address;
                         });
  if (same)
    return;
  view_ = std::move(live);
  // A member that left or died is no longer anybody's concern.
  std::unordered_set<uint64_t> kept;
  for (auto& member : view_)
    if (unreachable_.count(member.id) > 0)
      kept.insert(member.id);
  unreachable_ = std::move(kept);
  ++generation_;
}

void node_membership::unreachable(uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (unreachable_.insert(id).second)
    ++generation_;
}

void node_membership::reachable(uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (unreachable_.erase(id) > 0)
    ++generation_;
}

std::vector<member_info> node_membership::unreachable_members() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<member_info> result;
  for (auto& member : view_)
    if (unreachable_.count(member.id) > 0)
      result.push_back(member);
  return result;
}

bool node_membership::is_live_member(uint64_t id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::any_of(view_.begin(), view_.end(),
                     [id](const member_info& x) { return x.id == id; });
}

caf::optional<member_info>
node_membership::placed_elsewhere(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  // This node counts, whether or not the view holds it yet. One this node
  // cannot reach: it takes the namespace itself (another node would name
  // the same one).
  auto preferred = preferred_member(name, view_);
  if (preferred == nullptr || !outranks(*preferred, me_, name) ||
      unreachable_.count(preferred->id) > 0)
    return caf::none;
  return *preferred;
}

uint64_t node_membership::view_generation() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return generation_;
}

size_t node_membership::members_seen() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return view_.size();
}

namespace {

/// SplitMix64's finalizer: every input bit moves every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

} // namespace

uint64_t placement_rank(uint64_t id, const std::string& name) {
  // FNV-1a over the name, seeded with the member, then mixed again.
  uint64_t h = 0xcbf29ce484222325ULL ^ mix(id);
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix(h ^ id);
}

const member_info* preferred_member(const std::string& name,
                                    const std::vector<member_info>& members) {
  const member_info* best = nullptr;
  for (auto& member : members)
    if (best == nullptr || outranks(member, *best, name))
      best = &member;
  return best;
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
  // Placement follows the member table: a member joined, left or died.
  auto live = st.db->live_members(st.node->options().member_timeout);
  if (!live) {
    log(log_level::warning, "cluster members: " + caf::to_string(live.error()));
    return;
  }
  st.node->saw_members(std::move(*live));
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
