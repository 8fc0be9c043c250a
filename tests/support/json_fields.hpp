// Reading the JSON statekeeper-cli prints, for the CLI tests: one object
// per output (or per line), and its string and number fields.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace statekeeper::test {

/// Parses `json` as one object; fails the test, showing `shown`, if it is
/// not one.
inline boost::json::object json_object(const std::string& json,
                                       const std::string& shown) {
  boost::json::error_code ec;
  auto value = boost::json::parse(json, ec);
  if (!ec && value.is_object())
    return value.as_object();
  FAIL("not a JSON object: " << shown);
  return {};
}

inline std::string text(const boost::json::value& value) {
  auto& str = value.as_string();
  return std::string(str.data(), str.size());
}

inline uint64_t number(const boost::json::value& value) {
  return boost::json::value_to<uint64_t>(value);
}

} // namespace statekeeper::test
