// One list of the router's operations for actors that stand in front of a
// router and treat every operation alike (the gateway, its sessions, a
// remote client's link). `Relay` is called as
// `relay.template call<Reply>(atom, args...)` and returns the promise of
// the reply; the actor's own extra handlers are appended.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "messages/interfaces.hpp"

namespace statekeeper {

template <class Handle, class Relay, class... Extra>
typename Handle::behavior_type relay_behavior(Relay relay, Extra... extra) {
  using std::move;
  using std::string;
  using strings = std::vector<string>;
  return {
      [relay](get_atom a, namespace_path& ns, string& key) mutable {
        return relay.template call<caf::optional<entry>>(a, move(ns),
                                                         move(key));
      },
      [relay](contains_atom a, namespace_path& ns, string& key) mutable {
        return relay.template call<bool>(a, move(ns), move(key));
      },
      [relay](put_atom a, namespace_path& ns, string& key, string& value,
              ttl_option ttl) mutable {
        return relay.template call<uint64_t>(a, move(ns), move(key),
                                             move(value), ttl);
      },
      [relay](create_atom a, namespace_path& ns, string& key, string& value,
              ttl_option ttl) mutable {
        return relay.template call<uint64_t>(a, move(ns), move(key),
                                             move(value), ttl);
      },
      [relay](update_atom a, namespace_path& ns, string& key, string& value,
              uint64_t expected, ttl_option ttl) mutable {
        return relay.template call<uint64_t>(a, move(ns), move(key),
                                             move(value), expected, ttl);
      },
      [relay](erase_atom a, namespace_path& ns, string& key) mutable {
        return relay.template call<bool>(a, move(ns), move(key));
      },
      [relay](erase_if_atom a, namespace_path& ns, string& key,
              uint64_t expected) mutable {
        return relay.template call<bool>(a, move(ns), move(key), expected);
      },
      [relay](get_many_atom a, namespace_path& ns, strings& keys) mutable {
        return relay.template call<std::vector<entry>>(a, move(ns), move(keys));
      },
      [relay](put_many_atom a, namespace_path& ns,
              std::vector<put_item>& items) mutable {
        return relay.template call<std::vector<uint64_t>>(a, move(ns),
                                                          move(items));
      },
      [relay](erase_many_atom a, namespace_path& ns, strings& keys) mutable {
        return relay.template call<uint64_t>(a, move(ns), move(keys));
      },
      [relay](expire_atom a, namespace_path& ns, string& key,
              caf::timespan ttl) mutable {
        return relay.template call<bool>(a, move(ns), move(key), ttl);
      },
      [relay](persist_atom a, namespace_path& ns, string& key) mutable {
        return relay.template call<bool>(a, move(ns), move(key));
      },
      [relay](list_keys_atom a, namespace_path& ns, string& prefix,
              string& after, uint32_t limit) mutable {
        return relay.template call<key_page>(a, move(ns), move(prefix),
                                             move(after), limit);
      },
      [relay](scan_atom a, namespace_path& ns, string& prefix, string& after,
              uint32_t limit) mutable {
        return relay.template call<entry_page>(a, move(ns), move(prefix),
                                               move(after), limit);
      },
      [relay](key_count_atom a, namespace_path& ns) mutable {
        return relay.template call<uint64_t>(a, move(ns));
      },
      [relay](ns_exists_atom a, namespace_path& ns) mutable {
        return relay.template call<bool>(a, move(ns));
      },
      [relay](clear_atom a, namespace_path& ns) mutable {
        return relay.template call<uint64_t>(a, move(ns));
      },
      [relay](watch_atom a, namespace_path& ns, strings& prefixes,
              caf::optional<uint64_t> from, watcher_actor& who) mutable {
        return relay.template call<uint64_t>(a, move(ns), move(prefixes), from,
                                             move(who));
      },
      [relay](unwatch_atom a, namespace_path& ns, uint64_t id) mutable {
        return relay.template call<bool>(a, move(ns), id);
      },
      [relay](txn_atom a, namespace_path& ns,
              std::vector<txn_compare>& compares,
              std::vector<txn_op>& on_success,
              std::vector<txn_op>& on_failure) mutable {
        return relay.template call<txn_result>(
            a, move(ns), move(compares), move(on_success), move(on_failure));
      },
      [relay](list_ns_atom a, namespace_path& prefix) mutable {
        return relay.template call<std::vector<namespace_path>>(a,
                                                                move(prefix));
      },
      [relay](sync_atom a) mutable { return relay.template call<ok_atom>(a); },
      [relay](stats_atom a) mutable {
        return relay.template call<service_stats>(a);
      },
      std::move(extra)...,
  };
}

} // namespace statekeeper
