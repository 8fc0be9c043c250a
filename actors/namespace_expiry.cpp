#include "actors/namespace_expiry.hpp"

#include <algorithm>

#include "actors/namespace_durability.hpp"

namespace statekeeper {

namespace {

/// Sends the sweep message of a new generation, due at `at`.
void send_sweep(namespace_pointer self, caf::timestamp at) {
  auto& st = self->state;
  st.sweep_due = at;
  auto generation = ++st.sweep_generation;
  auto delay = at - caf::make_timestamp();
  if (delay.count() > 0)
    self->delayed_send(self, delay, sweep_atom::value, generation);
  else
    self->send(self, sweep_atom::value, generation);
}

} // namespace

void schedule_sweep(namespace_pointer self) {
  auto& st = self->state;
  if (!st.space || st.sweeps_on_hold)
    return;
  auto next = st.space->next_expiry();
  if (!next)
    return;
  auto at = std::max(*next, st.last_sweep + st.opts.sweep_interval);
  // One that comes earlier (or a sweep under way) covers this expiry too.
  if (st.sweep_due && *st.sweep_due <= at)
    return;
  // CAF 0.17 cannot take back a delayed message: the one on its way, due
  // later, is superseded by the new generation and will do nothing.
  send_sweep(self, at);
}

void on_sweep(namespace_pointer self, uint64_t generation) {
  auto& st = self->state;
  if (generation != st.sweep_generation)
    return; // superseded by an earlier one
  st.sweep_due = caf::none;
  if (!st.space || st.sweeps_on_hold)
    return; // not loaded: the database purges it
  if (gave_up_lapsed(self))
    return;
  auto now = caf::make_timestamp();
  st.last_sweep = now;
  auto swept = st.space->sweep(now, st.opts.sweep_batch);
  auto staged = st.space->take_staged();
  if (!swept || !staged) {
    schedule_sweep(self);
    return;
  }
  // Under way: applying it schedules nothing (see schedule_sweep).
  st.sweep_due = now;
  persist_and_apply(
      self, std::move(*staged), [self, n = *swept](caf::error err) {
        if (!err)
          report_usage(self, n, 0);
        auto& st = self->state;
        st.sweep_due = caf::none;
        // More expired entries than one batch: continue behind the requests
        // that are already waiting, instead of blocking them. After a failure,
        // retry a sweep-interval later; reads already hide expired entries.
        if (!err && st.space && st.space->needs_sweep(caf::make_timestamp()))
          send_sweep(self, caf::make_timestamp());
        else
          schedule_sweep(self);
      });
}

} // namespace statekeeper
