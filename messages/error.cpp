#include "messages/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "messages/utf8.hpp"

namespace statekeeper {

std::string to_string(error_code code) {
  switch (code) {
  case error_code::invalid_argument:
    return "invalid_argument";
  case error_code::not_found:
    return "not_found";
  case error_code::already_exists:
    return "already_exists";
  case error_code::revision_mismatch:
    return "revision_mismatch";
  case error_code::limit_exceeded:
    return "limit_exceeded";
  case error_code::storage_unavailable:
    return "storage_unavailable";
  case error_code::timeout:
    return "timeout";
  case error_code::unauthorized:
    return "unauthorized";
  case error_code::internal:
    return "internal";
  case error_code::cursor_expired:
    return "cursor_expired";
  case error_code::not_owner:
    return "not_owner";
  }
  return "unknown_error_" + std::to_string(static_cast<int>(code));
}

caf::error make_error(error_code code, std::string what) {
  // Contexts quote what callers sent (keys, segments, tokens' tenants):
  // escaped here, so every message is printable UTF-8 and valid in JSON.
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(printable(what))};
}

caf::error make_error(error_code code) {
  return caf::error{static_cast<uint8_t>(code), error_category};
}

bool is_retryable(error_code code) {
  return code == error_code::storage_unavailable ||
         code == error_code::timeout || code == error_code::not_owner;
}

error_code code_of(const caf::error& err) {
  if (err.category() != error_category)
    return error_code::internal;
  return static_cast<error_code>(err.code());
}

bool has_code(const caf::error& err, error_code code) {
  return err.category() == error_category &&
         err.code() == static_cast<uint8_t>(code);
}

std::string context_of(const caf::error& err) {
  auto& ctx = err.context();
  // Some errors carry more after their text (cluster.hpp: the owner).
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

caf::error in_our_terms(caf::error err, const std::string& who) {
  if (err == caf::sec::request_timeout)
    return make_error(error_code::timeout, who + " did not answer in time");
  if (err == caf::sec::request_receiver_down)
    return make_error(error_code::storage_unavailable,
                      who + " stopped before replying");
  return err;
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value,
                                            const caf::message& ctx) {
    std::string out = "statekeeper: ";
    out += to_string(static_cast<error_code>(code));
    if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
      out += ": ";
      out += ctx.get_as<std::string>(0);
    }
    return out;
  });
}

} // namespace statekeeper
