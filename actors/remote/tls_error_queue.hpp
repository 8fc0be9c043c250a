// Works around CAF 0.17's openssl module leaving OpenSSL's per-thread error
// queue dirty, which makes one TLS peer's disconnection drop the others
// (see tls_error_queue.cpp). Linked into every program that publishes or
// connects through actors/remote/remote.hpp.
#pragma once

namespace statekeeper {

/// Returns true if the wrappers found OpenSSL's own functions. Calling it
/// also makes the linker keep the wrappers.
bool tls_error_queue_guarded();

} // namespace statekeeper
