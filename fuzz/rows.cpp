// Rows read back from PostgreSQL (sk_namespaces, sk_entries, sk_changes),
// column by column in libpq's text format, NULL included: whoever can
// write to the database decides what they hold. Decoding gives a row or a
// statekeeper error with a printable message; a decoded change has a known
// kind and a version never from a negative number; and any bytes written
// as hex bytea read back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "backends/postgres/stored_rows.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/error.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

namespace {

struct column_text {
  bool null = false;
  std::string text;

  stored_column get() const {
    if (null)
      return std::nullopt;
    return std::string_view{text};
  }
};

column_text next_column(FuzzedDataProvider& in) {
  column_text result;
  result.null = in.ConsumeBool();
  result.text = in.ConsumeRandomLengthString(64);
  return result;
}

template <class T> void refused_cleanly(const caf::expected<T>& result) {
  if (!result) {
    FUZZ_CHECK(code_of(result.error()) == error_code::internal);
    FUZZ_CHECK(is_valid_utf8(context_of(result.error())));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in{data, size};
  column_text c[5];
  for (auto& x : c)
    x = next_column(in);
  refused_cleanly(decode_namespace_row(c[0].get(), c[1].get()));
  auto e = decode_entry_row(c[0].get(), c[1].get(), c[2].get(), c[3].get());
  refused_cleanly(e);
  if (e)
    FUZZ_CHECK(e->version <= uint64_t{INT64_MAX});
  auto change = decode_change_row(c[0].get(), c[1].get(), c[2].get(),
                                  c[3].get(), c[4].get());
  refused_cleanly(change);
  if (change) {
    auto k = to_db(change->kind);
    FUZZ_CHECK(k >= to_db(change_kind::put) && k <= to_db(change_kind::clear));
    FUZZ_CHECK(change->version <= uint64_t{INT64_MAX});
  }
  auto bytes = in.ConsumeRemainingBytesAsString();
  auto back = decode_bytea(std::string_view{encode_bytea(bytes)});
  FUZZ_CHECK(back && *back == bytes);
  return 0;
}
