// The binary's configuration file, as an operator (or a tool generating it)
// writes it: CAF reads the INI text, statekeeper turns the values into
// service, network and HTTP options and validates them. Whatever the text, this
// ends in options or in an error whose message is printable; nothing
// throws or crashes.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "actors/remote/remote.hpp"
#include "actors/service_options.hpp"
#include "app/server/config.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/error.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

namespace {

void check_refusal(const caf::error& err) {
  if (err && err.category() == error_category)
    FUZZ_CHECK(is_valid_utf8(context_of(err)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream ini{
      std::string{reinterpret_cast<const char*>(data), size}};
  app_config cfg;
  if (cfg.parse(caf::actor_system_config::string_list{}, ini))
    return 0; // CAF refused the text
  auto service = cfg.make_service_options();
  if (!service)
    check_refusal(service.error());
  else
    check_refusal(validate(*service));
  auto remote = cfg.make_remote_options();
  if (!remote)
    check_refusal(remote.error());
  else
    check_refusal(validate(*remote));
  if (remote) {
    auto http = cfg.make_http_options(*remote);
    if (!http)
      check_refusal(http.error());
  }
  check_refusal(validate_tls(cfg));
  return 0;
}
