// Reading the statekeeper binary's start line, for tests that run it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace statekeeper::test {

/// The port in a start line "statekeeper: serving namespaces on
/// 127.0.0.1:PORT (...)"; 0 if the line says no such thing.
inline uint16_t serving_port(const std::string& start_line) {
  std::string_view serving = "serving namespaces on 127.0.0.1:";
  auto at = start_line.find(serving);
  if (at == std::string::npos)
    return 0;
  return static_cast<uint16_t>(
    std::atoi(start_line.c_str() + at + serving.size()));
}

} // namespace statekeeper::test
