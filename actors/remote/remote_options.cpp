#include "actors/remote/remote.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>
#include <unordered_set>

#include "messages/error.hpp"
#include "messages/namespace_path.hpp"

// What remote.hpp declares about options alone: pure, no actor system.

namespace statekeeper {

caf::error validate(const remote_options& opts) {
  auto invalid = [](std::string what) {
    return make_error(error_code::invalid_argument, std::move(what));
  };
  if (opts.address.empty())
    return invalid("listen address is empty");
  std::unordered_set<std::string> seen;
  for (auto& t : opts.tokens) {
    if (t.token.empty())
      return invalid("access token for tenant \"" + t.tenant + "\" is empty");
    if (t.tenant != "*")
      if (auto err = validate_namespace(namespace_path{t.tenant}))
        return invalid("access token tenant \"" + t.tenant +
                       "\" is not a valid tenant");
    if (!seen.insert(t.token).second)
      return invalid("an access token is listed twice (tenant \"" + t.tenant +
                     "\")");
  }
  if (opts.max_in_flight == 0)
    return invalid("max-requests-in-flight must be positive");
  if (opts.max_request_bytes == 0)
    return invalid("max-request-bytes must be positive");
  if (opts.request_timeout <= caf::timespan{0})
    return invalid("request timeout must be positive");
  return {};
}

bool is_loopback(const std::string& address) {
  if (address == "localhost")
    return true;
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool exposed_without_client_auth(const caf::actor_system_config& cfg,
                                 const remote_options& opts) {
  return !is_loopback(opts.address) && !(opts.tls && mutual_tls(cfg));
}

bool mutual_tls(const caf::actor_system_config& cfg) {
  return !cfg.openssl_certificate.empty() || !cfg.openssl_key.empty() ||
         !cfg.openssl_passphrase.empty() || !cfg.openssl_cafile.empty() ||
         !cfg.openssl_capath.empty();
}

caf::error validate_tls(const caf::actor_system_config& cfg) {
  if (!mutual_tls(cfg))
    return {};
  auto missing = [](const char* what) {
    return make_error(error_code::invalid_argument,
                      std::string{"TLS with certificates needs "} + what +
                          " as well");
  };
  if (cfg.openssl_certificate.empty())
    return missing("a certificate (openssl.certificate)");
  if (cfg.openssl_key.empty())
    return missing("its private key (openssl.key)");
  if (cfg.openssl_cafile.empty() && cfg.openssl_capath.empty())
    return missing("a CA to verify the peer (openssl.cafile or "
                   "openssl.capath)");
  return {};
}

} // namespace statekeeper
