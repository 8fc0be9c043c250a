#include "actors/remote/wire_guard.hpp"

#include <caf/actor_registry.hpp>
#include <caf/system_messages.hpp>

namespace statekeeper {

namespace {

/// Whether `sender` is an actor of this node that no peer can name: itself,
/// or one that never crossed the wire (not in the registry).
bool unexposed(const caf::strong_actor_ptr& sender,
               const caf::abstract_actor& self) {
  if (sender == nullptr || sender->node() != self.node())
    return false;
  if (sender->id() == self.id())
    return true;
  return self.home_system().registry().get(sender->id()) != sender;
}

} // namespace

bool wire_admits(const caf::mailbox_element& what,
                 const caf::abstract_actor& self, const caf::node_id* trusted,
                 wire_role role) {
  auto& content = what.content();
  auto client = role == wire_role::client;
  if (content.match_elements<caf::exit_msg>())
    return client && unexposed(what.sender, self);
  if (content.match_elements<caf::down_msg>()) {
    // An actor that stopped because its last reference went away sends its
    // down messages without a sender: a client checks the ones it acts on
    // (see wire_guard.hpp).
    if (what.sender == nullptr)
      return client;
    return what.sender->address() == content.get_as<caf::down_msg>(0).source;
  }
  if (!what.mid.is_response())
    return !client || unexposed(what.sender, self);
  if (content.match_elements<caf::error>())
    return true;
  auto& sender = what.sender;
  if (sender == nullptr)
    return false;
  if (unexposed(sender, self))
    return true;
  // A service takes from the client's node only acknowledgements of watch
  // events, which carry nothing: a peer that names that node as sender
  // can make a request to the router fail, never answer it. A client
  // takes the service's answers.
  return trusted != nullptr && sender->node() == *trusted &&
         (client || content.empty());
}

} // namespace statekeeper
