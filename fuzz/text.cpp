// Short texts a peer or a user hands over: watch cursors ("REV@INC", from
// `--from` and from applications that saved one), durations (CLI), and
// anything an error message repeats. A cursor that parses prints as text
// that parses to the same cursor; a duration that parses is positive;
// printable() always gives valid UTF-8 and changes nothing the second time.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "messages/duration.hpp"
#include "messages/utf8.hpp"
#include "messages/watch.hpp"

using namespace statekeeper;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{reinterpret_cast<const char*>(data), size};
  if (auto cursor = parse_cursor(text)) {
    auto again = parse_cursor(to_string(*cursor));
    FUZZ_CHECK(again && again->revision == cursor->revision &&
               again->incarnation == cursor->incarnation);
  }
  if (auto duration = parse_duration(text))
    FUZZ_CHECK(duration->count() > 0);
  auto shown = printable(text);
  FUZZ_CHECK(is_valid_utf8(shown));
  FUZZ_CHECK(printable(shown) == shown);
  if (!is_valid_utf8(text))
    FUZZ_CHECK(shown != text);
  return 0;
}
