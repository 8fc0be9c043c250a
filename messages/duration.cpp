#include "messages/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace statekeeper {

std::optional<caf::timespan> parse_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  // 18 digits cannot overflow uint64_t; larger values are out of range anyway.
  if (digits == 0 || digits > 18)
    return std::nullopt;
  uint64_t count = 0;
  std::from_chars(text.data(), text.data() + digits, count);
  auto unit = text.substr(digits);
  int64_t nanos_per_unit = 0;
  if (unit == "ms")
    nanos_per_unit = 1'000'000;
  else if (unit == "s")
    nanos_per_unit = 1'000'000'000;
  else if (unit == "m")
    nanos_per_unit = 60LL * 1'000'000'000;
  else if (unit == "h")
    nanos_per_unit = 3600LL * 1'000'000'000;
  else
    return std::nullopt;
  auto limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max() /
                                     nanos_per_unit);
  if (count == 0 || count > limit)
    return std::nullopt;
  return caf::timespan{static_cast<int64_t>(count) * nanos_per_unit};
}

} // namespace statekeeper
