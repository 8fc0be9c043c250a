#include "backends/commit_plan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace statekeeper {

namespace {

/// The final effect per (namespace, key), and the namespaces cleared.
void collapse_effects(const std::vector<persist_batch>& batches,
                      commit_plan& plan) {
  // string_view compares bytes as unsigned, as std::string and bytea do.
  std::map<std::pair<std::string_view, std::string_view>, const change_record*>
      effects;
  std::set<std::string_view> cleared;
  for (auto& batch : batches) {
    std::string_view ns = batch.ns;
    for (auto& change : batch.changes)
      switch (change.kind) {
      case change_kind::put:
        effects[{ns, change.key}] = &change;
        break;
      case change_kind::erase:
      case change_kind::expire:
        effects[{ns, change.key}] = nullptr;
        break;
      case change_kind::clear: {
        cleared.insert(ns);
        auto first = effects.lower_bound({ns, std::string_view{}});
        auto last = first;
        while (last != effects.end() && last->first.first == ns)
          ++last;
        effects.erase(first, last);
        break;
      }
      }
  }
  plan.cleared.assign(cleared.begin(), cleared.end());
  for (auto& kvp : effects)
    plan.effects.push_back({kvp.first.first, kvp.first.second, kvp.second});
}

/// Each namespace's revision, incarnation and history floor.
void collect_namespaces(const std::vector<persist_batch>& batches,
                        commit_plan& plan) {
  std::map<std::string_view, commit_plan::namespace_state> states;
  for (auto& batch : batches) {
    auto& st = states
                   .emplace(batch.ns,
                            commit_plan::namespace_state{batch.ns, 0, 0, 0,
                                                         batch.trimmed_floor})
                   .first->second;
    st.revision = std::max(st.revision, batch.revision);
    st.incarnation = batch.incarnation;
    st.history_floor = std::max(st.history_floor, batch.history_floor);
    st.trimmed_floor = std::min(st.trimmed_floor, batch.trimmed_floor);
  }
  for (auto& kvp : states)
    plan.namespaces.push_back(kvp.second);
}

/// The change log is not collapsed: one row per record, in order.
void collect_log(const std::vector<persist_batch>& batches, commit_plan& plan) {
  std::map<std::string_view, uint64_t> floors;
  for (auto& st : plan.namespaces)
    floors.emplace(st.ns, st.history_floor);
  for (auto& batch : batches) {
    auto floor = floors[batch.ns];
    const change_record* previous = nullptr;
    int64_t seq = 0;
    for (auto& change : batch.changes) {
      // The records of one revision are contiguous within a batch.
      seq = previous != nullptr && previous->version == change.version ? seq + 1
                                                                       : 0;
      previous = &change;
      if (change.version > floor)
        plan.log.push_back({batch.ns, &change, seq, batch.epoch});
    }
  }
}

} // namespace

commit_plan plan_commit(const std::vector<persist_batch>& batches) {
  commit_plan plan;
  collapse_effects(batches, plan);
  collect_namespaces(batches, plan);
  collect_log(batches, plan);
  return plan;
}

} // namespace statekeeper
