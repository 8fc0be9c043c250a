// Rendered namespaces come from the CLI, configuration and the rows that
// name a namespace in PostgreSQL. parse_namespace refuses what is malformed
// with a printable message, and what it accepts is a valid namespace whose
// rendering parses back to it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "messages/error.hpp"
#include "messages/namespace_path.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto ns = parse_namespace(text);
  if (!ns) {
    FUZZ_CHECK(code_of(ns.error()) == error_code::invalid_argument);
    FUZZ_CHECK(is_valid_utf8(context_of(ns.error())));
    return 0;
  }
  FUZZ_CHECK(!validate_namespace(*ns));
  auto rendered = render(*ns);
  auto again = parse_namespace(rendered);
  FUZZ_CHECK(again && *again == *ns);
  FUZZ_CHECK(render(*again) == rendered);
  return 0;
}
