// Message tags of the statekeeper protocol. Declared in the project namespace
// (never `using namespace caf` next to these: CAF defines atoms of the same
// text). Every atom text is at most 10 characters, as CAF 0.17 requires.
#pragma once

#include <caf/atom.hpp>

namespace statekeeper {

using get_atom = caf::atom_constant<caf::atom("get")>;
using contains_atom = caf::atom_constant<caf::atom("contains")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using erase_if_atom = caf::atom_constant<caf::atom("erase_if")>;
using get_many_atom = caf::atom_constant<caf::atom("get_many")>;
using put_many_atom = caf::atom_constant<caf::atom("put_many")>;
using erase_many_atom = caf::atom_constant<caf::atom("erase_many")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using persist_atom = caf::atom_constant<caf::atom("persist")>;
using list_keys_atom = caf::atom_constant<caf::atom("list_keys")>;
using scan_atom = caf::atom_constant<caf::atom("scan")>;
using key_count_atom = caf::atom_constant<caf::atom("key_count")>;
using ns_exists_atom = caf::atom_constant<caf::atom("ns_exists")>;
using clear_atom = caf::atom_constant<caf::atom("clear")>;
using list_ns_atom = caf::atom_constant<caf::atom("list_ns")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using event_atom = caf::atom_constant<caf::atom("event")>;
using txn_atom = caf::atom_constant<caf::atom("txn")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;

// Internal (messages/internal.hpp): the timer's heartbeat and the sweep it
// triggers.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

} // namespace statekeeper
