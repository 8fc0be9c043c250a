#include "actors/async_backlog.hpp"

#include <algorithm>

namespace statekeeper {

namespace {

bool fits(const async_backlog_state& st, uint64_t records) {
  return st.pending == 0 || st.pending + records <= st.limit;
}

} // namespace

async_backlog_actor::behavior_type
async_backlog_impl(async_backlog_pointer self, uint64_t limit) {
  self->state.limit = limit;
  return {
      [self](admit_atom, uint64_t records) -> caf::result<ok_atom> {
        auto& st = self->state;
        // Behind earlier waiters even if this one would fit: first come,
        // first served, so a stream of small writes cannot starve a batch.
        if (st.waiting.empty() && fits(st, records)) {
          st.pending += records;
          return ok_atom::value;
        }
        auto rp = self->make_response_promise<ok_atom>();
        st.waiting.push_back({records, rp});
        return rp;
      },
      [self](release_atom, uint64_t records) {
        auto& st = self->state;
        st.pending -= std::min(records, st.pending);
        while (!st.waiting.empty() && fits(st, st.waiting.front().records)) {
          st.pending += st.waiting.front().records;
          st.waiting.front().promise.deliver(ok_atom::value);
          st.waiting.pop_front();
        }
      },
  };
}

} // namespace statekeeper
