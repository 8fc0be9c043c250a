// The configuration of a test actor system that talks CAF networking
// (plain TCP): a service node, a client node, an intruder.
#pragma once

#include <cstdint>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>

#include "tests/support/fixture.hpp"

namespace statekeeper::test {

class net_config : public test_config {
 public:
  net_config() { load<caf::io::middleman>(); }
};

/// A TCP port of 127.0.0.1 that was free a moment ago, for a service whose
/// port must be known before it listens (a node of a cluster registers it).
inline uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

} // namespace statekeeper::test
