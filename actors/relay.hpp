// One list of the router's operations for actors that stand in front of a
// router and treat every operation alike (the gateway, its sessions, a
// remote client's link). `Relay` is called as
// `relay.template call<Reply>(prefix..., atom, args...)` and returns the
// promise of the reply; the actor's own extra handlers are appended.
// `Prefix` are arguments that come before each operation's atom (a
// session's key); usually none.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "messages/interfaces.hpp"

namespace statekeeper {

template <class Handle, class... Prefix> struct relay_with {
  template <class Relay, class... Extra>
  static typename Handle::behavior_type behavior(Relay relay, Extra... extra) {
    using std::move;
    using std::string;
    using strings = std::vector<string>;
    return {
        [relay](Prefix&... p, get_atom a, namespace_path& ns,
                string& key) mutable {
          return relay.template call<caf::optional<entry>>(p..., a, move(ns),
                                                           move(key));
        },
        [relay](Prefix&... p, contains_atom a, namespace_path& ns,
                string& key) mutable {
          return relay.template call<bool>(p..., a, move(ns), move(key));
        },
        [relay](Prefix&... p, put_atom a, namespace_path& ns, string& key,
                string& value, ttl_option ttl) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns), move(key),
                                               move(value), ttl);
        },
        [relay](Prefix&... p, create_atom a, namespace_path& ns, string& key,
                string& value, ttl_option ttl) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns), move(key),
                                               move(value), ttl);
        },
        [relay](Prefix&... p, update_atom a, namespace_path& ns, string& key,
                string& value, uint64_t expected, ttl_option ttl) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns), move(key),
                                               move(value), expected, ttl);
        },
        [relay](Prefix&... p, erase_atom a, namespace_path& ns,
                string& key) mutable {
          return relay.template call<bool>(p..., a, move(ns), move(key));
        },
        [relay](Prefix&... p, erase_if_atom a, namespace_path& ns, string& key,
                uint64_t expected) mutable {
          return relay.template call<bool>(p..., a, move(ns), move(key),
                                           expected);
        },
        [relay](Prefix&... p, get_many_atom a, namespace_path& ns,
                strings& keys) mutable {
          return relay.template call<std::vector<entry>>(p..., a, move(ns),
                                                         move(keys));
        },
        [relay](Prefix&... p, put_many_atom a, namespace_path& ns,
                std::vector<put_item>& items) mutable {
          return relay.template call<std::vector<uint64_t>>(p..., a, move(ns),
                                                            move(items));
        },
        [relay](Prefix&... p, erase_many_atom a, namespace_path& ns,
                strings& keys) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns), move(keys));
        },
        [relay](Prefix&... p, expire_atom a, namespace_path& ns, string& key,
                caf::timespan ttl) mutable {
          return relay.template call<bool>(p..., a, move(ns), move(key), ttl);
        },
        [relay](Prefix&... p, persist_atom a, namespace_path& ns,
                string& key) mutable {
          return relay.template call<bool>(p..., a, move(ns), move(key));
        },
        [relay](Prefix&... p, list_keys_atom a, namespace_path& ns,
                string& prefix, string& after, uint32_t limit) mutable {
          return relay.template call<key_page>(p..., a, move(ns), move(prefix),
                                               move(after), limit);
        },
        [relay](Prefix&... p, scan_atom a, namespace_path& ns, string& prefix,
                string& after, uint32_t limit) mutable {
          return relay.template call<entry_page>(
              p..., a, move(ns), move(prefix), move(after), limit);
        },
        [relay](Prefix&... p, key_count_atom a, namespace_path& ns) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns));
        },
        [relay](Prefix&... p, ns_exists_atom a, namespace_path& ns) mutable {
          return relay.template call<bool>(p..., a, move(ns));
        },
        [relay](Prefix&... p, clear_atom a, namespace_path& ns) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns));
        },
        [relay](Prefix&... p, watch_atom a, namespace_path& ns,
                strings& prefixes, caf::optional<watch_cursor> from,
                watcher_actor& who) mutable {
          return relay.template call<uint64_t>(p..., a, move(ns),
                                               move(prefixes), from, move(who));
        },
        [relay](Prefix&... p, unwatch_atom a, namespace_path& ns,
                uint64_t id) mutable {
          return relay.template call<bool>(p..., a, move(ns), id);
        },
        [relay](Prefix&... p, txn_atom a, namespace_path& ns,
                std::vector<txn_compare>& compares,
                std::vector<txn_op>& on_success,
                std::vector<txn_op>& on_failure) mutable {
          return relay.template call<txn_result>(
              p..., a, move(ns), move(compares), move(on_success),
              move(on_failure));
        },
        [relay](Prefix&... p, list_ns_atom a, namespace_path& prefix) mutable {
          return relay.template call<std::vector<namespace_path>>(p..., a,
                                                                  move(prefix));
        },
        [relay](Prefix&... p, sync_atom a) mutable {
          return relay.template call<ok_atom>(p..., a);
        },
        [relay](Prefix&... p, stats_atom a) mutable {
          return relay.template call<service_stats>(p..., a);
        },
        std::move(extra)...,
    };
  }
};

template <class Handle, class Relay, class... Extra>
typename Handle::behavior_type relay_behavior(Relay relay, Extra... extra) {
  return relay_with<Handle>::behavior(std::move(relay), std::move(extra)...);
}

} // namespace statekeeper
