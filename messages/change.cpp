#include "messages/change.hpp"

namespace statekeeper {

std::string to_string(change_kind kind) {
  switch (kind) {
    case change_kind::put:
      return "put";
    case change_kind::erase:
      return "erase";
    case change_kind::expire:
      return "expire";
    case change_kind::clear:
      return "clear";
  }
  return "unknown";
}

} // namespace statekeeper
