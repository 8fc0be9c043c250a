// The configuration of a test actor system that talks CAF networking
// (plain TCP): a service node, a client node, an intruder.
#pragma once

#include <caf/io/middleman.hpp>

#include "tests/support/fixture.hpp"

namespace statekeeper::test {

class net_config : public test_config {
 public:
  net_config() { load<caf::io::middleman>(); }
};

} // namespace statekeeper::test
