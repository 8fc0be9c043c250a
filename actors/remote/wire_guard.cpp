#include "actors/remote/wire_guard.hpp"

#include <caf/actor_registry.hpp>
#include <caf/system_messages.hpp>

namespace statekeeper {

bool wire_admits(const caf::mailbox_element& what,
                 const caf::abstract_actor& self, const caf::node_id* trusted) {
  auto& content = what.content();
  if (content.match_elements<caf::exit_msg>())
    return false;
  if (content.match_elements<caf::down_msg>())
    return what.sender != nullptr &&
           what.sender->address() == content.get_as<caf::down_msg>(0).source;
  if (!what.mid.is_response())
    return true;
  if (content.match_elements<caf::error>())
    return true;
  auto& sender = what.sender;
  if (sender == nullptr)
    return false;
  if (sender->id() == self.id() && sender->node() == self.node())
    return true;
  if (sender->node() == self.node())
    return self.home_system().registry().get(sender->id()) != sender;
  // From the client's node only acknowledgements of watch events, which
  // carry nothing: a peer that names that node as sender can make a
  // request to the router fail, never answer it.
  return trusted != nullptr && sender->node() == *trusted && content.empty();
}

} // namespace statekeeper
