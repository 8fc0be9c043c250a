#include "messages/cluster.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "messages/error.hpp"
#include "messages/utf8.hpp"

namespace statekeeper {

caf::error owned_elsewhere(std::string what, const member_info& holder) {
  return caf::error{static_cast<uint8_t>(error_code::not_owner), error_category,
                    caf::make_message(printable(what), holder)};
}

caf::optional<member_info> holder_of(const caf::error& err) {
  if (!has_code(err, error_code::not_owner))
    return caf::none;
  auto& ctx = err.context();
  if (ctx.size() != 2 || !ctx.match_element<member_info>(1))
    return caf::none;
  return ctx.get_as<member_info>(1);
}

} // namespace statekeeper
