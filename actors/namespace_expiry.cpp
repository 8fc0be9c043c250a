#include "actors/namespace_expiry.hpp"

#include <algorithm>

#include "actors/namespace_durability.hpp"

namespace statekeeper {

void schedule_sweep(namespace_pointer self) {
  auto& st = self->state;
  if (!st.space || st.sweeps_on_hold)
    return;
  auto next = st.space->next_expiry();
  if (!next)
    return;
  auto at = std::max(*next, st.last_sweep + st.opts.sweep_interval);
  // CAF 0.17 cannot take back a delayed message: one that comes earlier
  // covers this expiry too; a later one finds nothing to do.
  if (st.sweep_due && *st.sweep_due <= at)
    return;
  st.sweep_due = at;
  auto delay = at - caf::make_timestamp();
  if (delay.count() > 0)
    self->delayed_send(self, delay, sweep_atom::value);
  else
    self->send(self, sweep_atom::value);
}

void on_sweep(namespace_pointer self) {
  auto& st = self->state;
  auto now = caf::make_timestamp();
  if (st.sweep_due && *st.sweep_due > now)
    return; // an earlier message, overtaken: the due one follows
  st.sweep_due = caf::none;
  if (!st.space || st.sweeps_on_hold)
    return; // not loaded: the database purges it
  st.last_sweep = now;
  auto swept = st.space->sweep(now, st.opts.sweep_batch);
  auto staged = st.space->take_staged();
  if (!swept || !staged) {
    schedule_sweep(self);
    return;
  }
  persist_and_apply(self, std::move(*staged), [self](caf::error err) {
    auto& st = self->state;
    if (err) {
      // Retried a sweep-interval later; reads already hide expired entries.
      schedule_sweep(self);
      return;
    }
    // More expired entries than one batch: continue behind the requests
    // that are already waiting, instead of blocking them.
    if (st.space && st.space->needs_sweep(caf::make_timestamp())) {
      st.sweep_due = caf::make_timestamp();
      self->send(self, sweep_atom::value);
    }
  });
}

} // namespace statekeeper
