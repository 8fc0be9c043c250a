#include "app/config.hpp"

#include "messages/register.hpp"

namespace statekeeper {

app_config::app_config() {
  register_types(*this);
  auto& lim = service.limits;
  opt_group{custom_options_, "statekeeper"}
    .add(lim.max_key_bytes, "max-key-bytes",
         "longest key in bytes (default: 4096)")
    .add(lim.max_value_bytes, "max-value-bytes",
         "largest value in bytes (default: 1048576)")
    .add(lim.max_namespace_bytes, "max-namespace-bytes",
         "longest rendered namespace in bytes (default: 1024)")
    .add(lim.max_batch, "max-batch",
         "most items in get_many/put_many/erase_many (default: 1000)")
    .add(lim.max_page, "max-page",
         "largest page of list_keys/scan (default: 1000)")
    .add(lim.max_ttl, "max-ttl", "longest TTL (default: 876000h)")
    .add(service.sweep_interval, "sweep-interval",
         "how often expired entries are evicted (default: 1s)")
    .add(service.sweep_batch, "sweep-batch",
         "most entries one namespace evicts per sweep (default: 1000)")
    .add(service.pin_namespaces, "pin-namespaces",
         "give every namespace actor its own OS thread (default: false)")
    .add(service.internal_timeout, "internal-timeout",
         "how long the router waits on namespace actors (default: 10s)");
}

} // namespace statekeeper
