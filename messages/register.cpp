#include "messages/register.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/change.hpp"
#include "messages/cluster.hpp"
#include "messages/error.hpp"
#include "messages/interfaces.hpp"
#include "messages/session.hpp"

namespace statekeeper {

caf::actor_system_config& register_types(caf::actor_system_config& cfg) {
  // add_message_type<T> also announces std::vector<T>.
  cfg.add_message_type<namespace_path>("statekeeper::namespace_path")
      .add_message_type<entry>("statekeeper::entry")
      .add_message_type<caf::optional<entry>>("statekeeper::optional_entry")
      .add_message_type<put_item>("statekeeper::put_item")
      .add_message_type<key_page>("statekeeper::key_page")
      .add_message_type<entry_page>("statekeeper::entry_page")
      .add_message_type<change_record>("statekeeper::change_record")
      .add_message_type<ttl_option>("statekeeper::ttl")
      .add_message_type<std::vector<uint64_t>>("statekeeper::versions")
      .add_message_type<service_stats>("statekeeper::service_stats")
      .add_message_type<router_actor>("statekeeper::router_actor")
      .add_message_type<watch_event>("statekeeper::watch_event")
      .add_message_type<watch_batch>("statekeeper::watch_batch")
      .add_message_type<watcher_actor>("statekeeper::watcher_actor")
      .add_message_type<watch_cursor>("statekeeper::watch_cursor")
      .add_message_type<caf::optional<watch_cursor>>(
          "statekeeper::cursor_option")
      .add_message_type<session_key>("statekeeper::session_key")
      .add_message_type<session_actor>("statekeeper::session_actor")
      .add_message_type<txn_compare>("statekeeper::txn_compare")
      .add_message_type<txn_op>("statekeeper::txn_op")
      .add_message_type<txn_op_result>("statekeeper::txn_op_result")
      .add_message_type<txn_result>("statekeeper::txn_result")
      .add_message_type<member_info>("statekeeper::member_info")
      .add_message_type<member_status>("statekeeper::member_status");
  add_error_category(cfg);
  return cfg;
}

} // namespace statekeeper
