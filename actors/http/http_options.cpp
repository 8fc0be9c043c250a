#include "actors/http/http_options.hpp"

#include <string>

#include "actors/remote/remote.hpp"
#include "messages/error.hpp"
#include "messages/utf8.hpp"

namespace statekeeper {

caf::error validate(const http_options& opts) {
  auto invalid = [](std::string what) {
    return make_error(error_code::invalid_argument,
                      "statekeeper.http." + std::move(what));
  };
  if (opts.address.empty())
    return invalid("address is empty");
  if (opts.certificate.empty() != opts.key.empty())
    return invalid("certificate and key go together: HTTPS needs both");
  if (!serves_tls(opts) && !opts.insecure_plaintext &&
      !is_loopback(opts.address))
    return invalid("address " + printable(opts.address) +
                   " is not loopback: serve HTTPS (certificate and key) or "
                   "set insecure-plaintext");
  if (opts.max_body_bytes == 0)
    return invalid("max-body-bytes must be positive");
  if (opts.max_buffered_bytes < opts.max_body_bytes)
    return invalid("max-buffered-bytes must be at least max-body-bytes");
  if (opts.max_header_bytes < 256)
    return invalid("max-header-bytes must be at least 256");
  if (opts.max_connections == 0)
    return invalid("max-connections must be positive");
  if (opts.max_in_flight == 0)
    return invalid("max-requests-in-flight must be positive");
  // Deadlines are computed as now + timeout: a day keeps them far from
  // overflowing.
  constexpr caf::timespan day = std::chrono::hours{24};
  for (auto t : {opts.idle_timeout, opts.io_timeout, opts.service_timeout})
    if (t <= caf::timespan{0} || t > day)
      return invalid("timeouts must be positive and at most a day");
  if (opts.threads == 0 || opts.threads > 64)
    return invalid("threads must be between 1 and 64");
  return {};
}

} // namespace statekeeper
