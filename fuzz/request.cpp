// A remote request as the service meets it: arguments decoded by CAF's
// binary deserializer from bytes a peer chose (any lengths, any enum
// values, any TTL), then validated and run by a namespace's keyspace as
// its owner runs them, staged changes applied after each. The input is a
// sequence of (operation byte, clock step byte, serialized arguments).
// Whatever arrives: an error or a result, never a crash; the revision
// never goes back; a write that succeeded reads back; the live keys a scan
// pages through are the ones key_count counts.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <caf/binary_deserializer.hpp>

#include "actors/keyspace.hpp"
#include "backends/memory/memory_storage.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/error.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

namespace {

const namespace_path ns{"fuzz", {"requests"}};

service_limits limits() {
  service_limits lim;
  lim.max_key_bytes = 64;
  lim.max_value_bytes = 256;
  lim.max_namespace_bytes = 128;
  lim.max_batch = 16;
  lim.max_page = 100;
  return lim;
}

class session {
 public:
  session()
      : space_(std::make_shared<memory_store>(), limits()),
        now_(caf::timestamp{std::chrono::hours{24 * 365 * 50}}) {
    // nop
  }

  // Runs one operation; false when the input ran out.
  bool step(caf::binary_deserializer& in) {
    uint8_t op = 0;
    uint8_t tick = 0;
    if (in(op, tick))
      return false;
    now_ += std::chrono::milliseconds{tick};
    auto before = space_.revision();
    if (!run(op % 16, in))
      return false;
    if (auto staged = space_.take_staged()) {
      FUZZ_CHECK(!staged->empty());
      FUZZ_CHECK(staged->front().version == before + 1);
      FUZZ_CHECK(!space_.apply(*staged));
    }
    FUZZ_CHECK(space_.revision() >= before);
    return true;
  }

  // A whole scan, page by page, sees exactly the live keys, once each.
  void check_listing() {
    std::set<std::string> seen;
    std::string after;
    for (;;) {
      auto page = space_.scan("", after, 7, now_);
      FUZZ_CHECK(page);
      for (auto& e : page->entries) {
        FUZZ_CHECK(e.key > after || after.empty());
        FUZZ_CHECK(seen.insert(e.key).second);
        after = e.key;
      }
      if (!page->more)
        break;
    }
    FUZZ_CHECK(seen.size() == space_.key_count(now_));
  }

 private:
  template <class... Ts> bool read(caf::binary_deserializer& in, Ts&... xs) {
    return !in(xs...);
  }

  // A refusal is a statekeeper error with a printable message.
  template <class T> void refused_cleanly(const caf::expected<T>& result) {
    if (!result) {
      FUZZ_CHECK(result.error().category() == error_category);
      FUZZ_CHECK(is_valid_utf8(context_of(result.error())));
    }
  }

  void reads_back(const std::string& key, const std::string& value,
                  uint64_t version) {
    auto got = space_.get(key, now_);
    FUZZ_CHECK(got && *got);
    FUZZ_CHECK((*got)->value == value && (*got)->version == version);
  }

  // Writes are staged: they read back once applied, so checks that read
  // after a write apply first.
  void apply_staged() {
    if (auto staged = space_.take_staged())
      FUZZ_CHECK(!space_.apply(*staged));
  }

  bool run(uint8_t op, caf::binary_deserializer& in) {
    std::string key, value, prefix, after;
    ttl_option ttl;
    uint64_t expected = 0;
    uint32_t limit = 0;
    caf::timespan span{0};
    std::vector<std::string> keys;
    std::vector<put_item> items;
    std::vector<txn_compare> compares;
    std::vector<txn_op> then, otherwise;
    switch (op) {
    case 0:
      if (!read(in, key))
        return false;
      refused_cleanly(space_.get(key, now_));
      return true;
    case 1:
    case 2: {
      if (!read(in, key, value, ttl))
        return false;
      auto v = op == 1 ? space_.put(key, value, ttl, now_)
                       : space_.create(key, value, ttl, now_);
      refused_cleanly(v);
      if (v && (!ttl || ttl->count() > 0)) {
        apply_staged();
        reads_back(key, value, *v);
      }
      return true;
    }
    case 3: {
      if (!read(in, key, value, expected, ttl))
        return false;
      auto v = space_.update(key, value, expected, ttl, now_);
      refused_cleanly(v);
      if (v) {
        apply_staged();
        reads_back(key, value, *v);
      }
      return true;
    }
    case 4: {
      if (!read(in, key))
        return false;
      auto erased = space_.erase(key, now_);
      refused_cleanly(erased);
      if (erased) {
        apply_staged();
        FUZZ_CHECK(!*space_.contains(key, now_));
      }
      return true;
    }
    case 5:
      if (!read(in, key, expected))
        return false;
      refused_cleanly(space_.erase_if(key, expected, now_));
      return true;
    case 6:
      if (!read(in, keys))
        return false;
      refused_cleanly(space_.get_many(keys, now_));
      return true;
    case 7: {
      if (!read(in, items))
        return false;
      auto versions = space_.put_many(items, now_);
      refused_cleanly(versions);
      if (versions) {
        FUZZ_CHECK(versions->size() == items.size());
        apply_staged();
        for (size_t i = 0; i < items.size(); ++i)
          reads_back(items[i].key, items[i].value, (*versions)[i]);
      }
      return true;
    }
    case 8:
      if (!read(in, keys))
        return false;
      refused_cleanly(space_.erase_many(keys, now_));
      return true;
    case 9:
      if (!read(in, key, span))
        return false;
      refused_cleanly(space_.expire(key, span, now_));
      return true;
    case 10:
      if (!read(in, key))
        return false;
      refused_cleanly(space_.persist(key, now_));
      return true;
    case 11:
      if (!read(in, prefix, after, limit))
        return false;
      refused_cleanly(space_.list_keys(prefix, after, limit, now_));
      return true;
    case 12:
      if (!read(in, prefix, after, limit))
        return false;
      refused_cleanly(space_.scan(prefix, after, limit, now_));
      return true;
    case 13:
      refused_cleanly(space_.clear(now_));
      return true;
    case 14:
      if (!read(in, compares, then, otherwise))
        return false;
      refused_cleanly(space_.txn(ns, compares, then, otherwise, now_));
      return true;
    default:
      refused_cleanly(space_.sweep(now_, 5));
      return true;
    }
  }

  keyspace space_;
  caf::timestamp now_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  caf::binary_deserializer in{static_cast<caf::execution_unit*>(nullptr),
                              reinterpret_cast<const char*>(data), size};
  session s;
  for (int ops = 0; ops < 64 && s.step(in); ++ops)
    ; // each step checks its own properties
  s.check_listing();
  return 0;
}
