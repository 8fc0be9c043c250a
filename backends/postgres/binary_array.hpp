// Array parameters in PostgreSQL's binary array format (what array_recv
// reads): bytes as they are and integers as 8 bytes, each after its
// length, big-endian, behind a header that names the element type. How the
// backend sends a commit's rows: parameters, never SQL text, so no user
// input reaches the SQL; half the bytes of hex text, and nothing for either
// side to encode or parse. Plain values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/optional.hpp>
#include <pqxx/binarystring>

namespace statekeeper {

class binary_array {
 public:
  size_t size() const { return size_; }

  /// The parameter (sent in binary format), for a statement that casts it
  /// to an array of the element type.
  pqxx::binarystring param() const {
    std::string out;
    out.reserve(20 + body_.size());
    put32(out, size_ > 0 ? 1 : 0); // dimensions
    put32(out, has_null_ ? 1 : 0);
    put32(out, element_oid_);
    if (size_ > 0) {
      put32(out, static_cast<uint32_t>(size_));
      put32(out, 1); // lower bound
    }
    out += body_;
    return pqxx::binarystring{out};
  }

  void add_null() {
    put32(body_, 0xFFFFFFFF); // length -1
    has_null_ = true;
    ++size_;
  }

 protected:
  explicit binary_array(uint32_t element_oid) : element_oid_(element_oid) {
    // nop
  }

  static void put32(std::string& out, uint32_t x) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out += static_cast<char>((x >> shift) & 0xFF);
  }

  std::string body_;
  size_t size_ = 0;

 private:
  uint32_t element_oid_;
  bool has_null_ = false;
};

/// For `$n::bytea[]`.
class bytea_array : public binary_array {
 public:
  bytea_array() : binary_array(17) { // bytea
    // nop
  }
  void add(std::string_view bytes) {
    put32(body_, static_cast<uint32_t>(bytes.size()));
    body_.append(bytes.data(), bytes.size());
    ++size_;
  }
};

/// For `$n::bigint[]`; narrower columns take the values by assignment.
class integer_array : public binary_array {
 public:
  integer_array() : binary_array(20) { // int8
    // nop
  }
  void add(caf::optional<int64_t> x) {
    if (!x) {
      add_null();
      return;
    }
    put32(body_, 8);
    auto bits = static_cast<uint64_t>(*x);
    put32(body_, static_cast<uint32_t>(bits >> 32));
    put32(body_, static_cast<uint32_t>(bits));
    ++size_;
  }
};

} // namespace statekeeper
