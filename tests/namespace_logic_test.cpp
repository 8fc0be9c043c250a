// The plain logic a namespace owner runs, without an actor system: the
// keyspace (operations, staging and applying, TTL, sweeps, transactions),
// the expiry index and the watch hub (history, replay, who gets what).
#include <catch2/catch.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/expiry_index.hpp"
#include "actors/keyspace.hpp"
#include "actors/watch_hub.hpp"
#include "backends/memory/memory_storage.hpp"
#include "messages/error.hpp"
#include "tests/support/change_records.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using statekeeper::test::code;
using namespace std::chrono_literals;

namespace {

const caf::timestamp t0{std::chrono::hours{24 * 365 * 50}};

/// A keyspace on a fresh in-memory store that applies what it stages.
struct applied_keyspace {
  keyspace space{std::make_shared<memory_store>(), service_limits{}};

  /// Applies what the last operation staged; returns its revision, or 0.
  uint64_t apply() {
    auto staged = space.take_staged();
    if (!staged)
      return 0;
    REQUIRE_FALSE(space.apply(*staged));
    return staged->front().version;
  }
};

std::vector<std::string> keys_of(const std::vector<watch_event>& events) {
  std::vector<std::string> out;
  for (auto& ev : events)
    out.push_back(ev.key);
  return out;
}

} // namespace

TEST_CASE("a write is staged with the next revision and visible once applied",
          "[namespace_logic]") {
  applied_keyspace k;
  CHECK(k.space.put("a", "1", caf::none, t0) == 1u);
  // Staged, not applied: the store and revision are as before.
  CHECK(k.space.revision() == 0);
  CHECK_FALSE(*k.space.get("a", t0));
  CHECK(k.apply() == 1);
  CHECK(k.space.revision() == 1);
  auto got = k.space.get("a", t0);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->value == "1");
  // A change of nothing stages nothing and leaves the revision.
  CHECK(k.space.erase("absent", t0) == false);
  CHECK_FALSE(k.space.take_staged());
}

TEST_CASE("an expired entry is absent before any sweep, and a sweep evicts "
          "at most its batch as one revision",
          "[namespace_logic]") {
  applied_keyspace k;
  for (auto key : {"a", "b", "c"}) {
    REQUIRE(k.space.put(key, "v", caf::timespan{1s}, t0));
    k.apply();
  }
  REQUIRE(k.space.put("kept", "v", caf::none, t0));
  k.apply();
  CHECK(k.space.next_expiry() == t0 + 1s);
  auto later = t0 + 2s;
  CHECK(k.space.key_count(later) == 1);
  CHECK_FALSE(*k.space.get("a", later));
  CHECK(k.space.needs_sweep(later));
  CHECK(k.space.sweep(later, 2) == size_t{2});
  auto first = k.apply();
  CHECK(first == 5);
  CHECK(k.space.sweep(later, 2) == size_t{1});
  CHECK(k.apply() == 6);
  CHECK_FALSE(k.space.needs_sweep(later));
  CHECK_FALSE(k.space.next_expiry());
}

TEST_CASE("a write without TTL removes the entry's expiry",
          "[namespace_logic]") {
  applied_keyspace k;
  REQUIRE(k.space.put("a", "v", caf::timespan{1s}, t0));
  k.apply();
  REQUIRE(k.space.put("a", "w", caf::none, t0));
  k.apply();
  CHECK_FALSE(k.space.next_expiry());
  CHECK(k.space.key_count(t0 + 1h) == 1);
}

TEST_CASE("a transaction's branch sees its own writes, as one revision",
          "[namespace_logic]") {
  applied_keyspace k;
  namespace_path ns{"acme", {}};
  txn_compare absent;
  absent.key = "k";
  absent.target = compare_target::version;
  absent.op = compare_op::equal;
  absent.version = 0; // an absent key has version 0
  txn_op put;
  put.kind = txn_op_kind::put;
  put.key = "k";
  put.value = "v";
  txn_op get;
  get.kind = txn_op_kind::get;
  get.key = "k";
  auto result = k.space.txn(ns, {absent}, {put, get}, {get}, t0);
  REQUIRE(result);
  CHECK(result->succeeded);
  REQUIRE(result->results.size() == 2);
  CHECK(result->results[1].found);
  CHECK(result->results[1].value->value == "v");
  CHECK(k.apply() == 1);
  // Now the compare fails and the other branch runs, writing nothing.
  auto again = k.space.txn(ns, {absent}, {put}, {get}, t0);
  REQUIRE(again);
  CHECK_FALSE(again->succeeded);
  CHECK_FALSE(k.space.take_staged());
  // A write to another namespace is refused before anything is staged.
  put.ns = namespace_path{"globex", {}};
  CHECK(code(k.space.txn(ns, {}, {put}, {}, t0)) ==
        error_code::invalid_argument);
}

TEST_CASE("the expiry index orders keys by time and keeps one time per key",
          "[namespace_logic]") {
  expiry_index index;
  CHECK_FALSE(index.earliest());
  index.set("late", t0 + 3s);
  index.set("early", t0 + 1s);
  index.set("moved", t0 + 2s);
  index.set("moved", t0 + 5s);
  CHECK(index.earliest() == t0 + 1s);
  CHECK(index.count_expired(t0 + 4s) == 2);
  CHECK(index.expired(t0 + 10s, 10) ==
        std::vector<std::string>{"early", "late", "moved"});
  index.set("early", caf::none);
  index.remove("late");
  CHECK(index.earliest() == t0 + 5s);
  CHECK_FALSE(index.any_expired(t0 + 4s));
  index.clear();
  CHECK_FALSE(index.earliest());
}

TEST_CASE("the watch history drops whole revisions and replays only what "
          "it holds",
          "[namespace_logic]") {
  watch_hub hub{3, 100};
  hub.record({put_change("a", "1", 1)});
  hub.record({put_change("b", "1", 2), put_change("c", "1", 2)});
  hub.record({put_change("a", "2", 3)});
  // Four records over a limit of three: revision 1 goes, whole.
  CHECK(hub.floor() == 1);
  auto all = hub.replay({}, 1);
  REQUIRE(all);
  CHECK(keys_of(*all) == std::vector<std::string>{"b", "c", "a"});
  auto under_b = hub.replay({"b"}, 1);
  REQUIRE(under_b);
  CHECK(keys_of(*under_b) == std::vector<std::string>{"b"});
  CHECK(code(hub.replay({}, 0)) == error_code::cursor_expired);
  // Within revision 2, the first event's cursor is the revision before.
  CHECK((*all)[0].revision == 1);
  CHECK((*all)[1].revision == 2);
}

TEST_CASE("watchers get the changes under their prefixes, and every one a "
          "clear",
          "[namespace_logic]") {
  watch_hub hub{100, 100};
  CHECK(watch_hub::normalize({"ab", "a", "b"}) ==
        std::vector<std::string>{"a", "b"});
  auto& under_a = hub.add(watcher_actor{}, {"a"});
  auto a_id = under_a.id;
  auto& everything = hub.add(watcher_actor{}, {});
  auto all_id = everything.id;
  auto& also_everything = hub.add(watcher_actor{}, {"a", "b"});
  auto also_id = also_everything.id;
  std::map<uint64_t, std::vector<std::string>> got;
  std::map<uint64_t, watch_batch> last_batch; // kept alive to compare
  auto deliver = [&](watcher_entry& w, const watch_batch& events) {
    last_batch[w.id] = events;
    for (auto& ev : events) {
      CHECK(ev.incarnation == 7);
      got[w.id].push_back(to_string(ev.kind) + " " + ev.key);
    }
  };
  hub.fan_out({put_change("a1", "v", 1), put_change("b1", "v", 1)}, 7, deliver);
  // Watchers that match every change get one shared copy of the events.
  CHECK(&last_batch[all_id].front() == &last_batch[also_id].front());
  CHECK(&last_batch[a_id].front() != &last_batch[all_id].front());
  hub.fan_out({removal(change_kind::clear, "", 2)}, 7, deliver);
  CHECK(got[a_id] == std::vector<std::string>{"put a1", "clear "});
  CHECK(got[all_id] == std::vector<std::string>{"put a1", "put b1", "clear "});
  CHECK(got[also_id] == got[all_id]);
  CHECK(hub.remove(also_id));
  CHECK(hub.remove(a_id));
  CHECK_FALSE(hub.remove(a_id));
  CHECK(hub.ids() == std::vector<uint64_t>{all_id});
}

TEST_CASE("a watch batch shares its events and splits only between the "
          "batches it was made of",
          "[namespace_logic]") {
  auto events = [](std::initializer_list<const char*> keys) {
    std::vector<watch_event> result;
    for (auto key : keys) {
      watch_event ev;
      ev.key = key;
      result.push_back(ev);
    }
    return watch_batch{std::move(result)};
  };
  auto keys = [](const watch_batch& batch) {
    std::vector<std::string> result;
    for (auto& ev : batch)
      result.push_back(ev.key);
    return result;
  };
  watch_batch batch;
  CHECK(batch.empty());
  CHECK(batch.begin() == batch.end());
  auto ab = events({"a", "b"});
  batch.append(ab);
  batch.append(events({"c"}));
  batch.append(events({"d", "e", "f"}));
  CHECK(batch.size() == 6);
  CHECK(&batch.front() == &ab.front());
  CHECK(keys(batch) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
  CHECK(batch.back().key == "f");
  // At most 4 events: the first two batches (3); the third alone is 3.
  auto first = batch.take_front(4);
  CHECK(keys(first) == std::vector<std::string>{"a", "b", "c"});
  // A batch larger than the limit goes whole.
  auto second = batch.take_front(1);
  CHECK(keys(second) == std::vector<std::string>{"d", "e", "f"});
  CHECK(batch.empty());
  CHECK(keys(first).size() == first.to_vector().size());
}

TEST_CASE("a watch batch crosses the wire as one vector of events",
          "[namespace_logic]") {
  auto round_trip = [](watch_batch batch) {
    std::vector<char> buf;
    caf::binary_serializer sink{nullptr, buf};
    REQUIRE_FALSE(sink(batch));
    watch_batch copy;
    caf::binary_deserializer source{nullptr, buf};
    REQUIRE_FALSE(source(copy));
    return copy;
  };
  CHECK(round_trip(watch_batch{}).empty());
  watch_event put;
  put.key = "k";
  put.value = std::string{"\0\xff", 2};
  put.revision = 3;
  put.expires_at = caf::timestamp{std::chrono::seconds{9}};
  watch_event done;
  done.kind = watch_event_kind::snapshot_done;
  done.revision = 4;
  watch_batch two_chunks{std::vector<watch_event>{put}};
  two_chunks.append(watch_batch{std::vector<watch_event>{done}});
  auto copy = round_trip(two_chunks);
  REQUIRE(copy.size() == 2);
  CHECK(copy.front().value == put.value);
  CHECK(copy.front().expires_at == put.expires_at);
  CHECK(copy.back().kind == watch_event_kind::snapshot_done);
  CHECK(copy.back().revision == 4);
  CHECK(caf::deep_to_string(copy) == caf::deep_to_string(two_chunks));
}

TEST_CASE("changes applied and then reverted leave the keyspace as it was",
          "[namespace_logic]") {
  applied_keyspace k;
  REQUIRE(k.space.put("a", "1", caf::none, t0));
  k.apply();
  REQUIRE(k.space.put("b", "2", ttl_option{10s}, t0));
  k.apply();
  REQUIRE(k.space.put("a", "1", caf::none, t0));
  k.apply();
  auto before = k.space.revision();
  auto entries_now = [&] {
    std::vector<std::string> out;
    k.space.visit_live(
        "", t0, [&](const std::string& key, const stored_entry& e) {
          out.push_back(key + "=" + e.value + "@" + std::to_string(e.version));
        });
    return out;
  };
  auto as_it_was = entries_now();
  auto next_expiry = k.space.next_expiry();
  // An overwrite, a new key, an erase, and (separately) a clear.
  REQUIRE(k.space.put("a", "changed", ttl_option{1s}, t0));
  auto first = *k.space.take_staged();
  auto undo_first = k.space.undo_of(first);
  REQUIRE_FALSE(k.space.apply(first));
  REQUIRE(
      k.space.txn(namespace_path{"t", {"x"}}, {},
                  {txn_op{txn_op_kind::put, "c", "3", caf::none, caf::none},
                   txn_op{txn_op_kind::erase, "b", "", caf::none, caf::none}},
                  {}, t0));
  auto second = *k.space.take_staged();
  auto undo_second = k.space.undo_of(second);
  REQUIRE_FALSE(k.space.apply(second));
  REQUIRE(k.space.clear(t0));
  auto third = *k.space.take_staged();
  auto undo_third = k.space.undo_of(third);
  REQUIRE_FALSE(k.space.apply(third));
  CHECK(entries_now().empty());
  // Newest first, each back to the revision before it.
  REQUIRE_FALSE(k.space.revert(undo_third, before + 2));
  REQUIRE_FALSE(k.space.revert(undo_second, before + 1));
  REQUIRE_FALSE(k.space.revert(undo_first, before));
  CHECK(k.space.revision() == before);
  CHECK(entries_now() == as_it_was);
  CHECK(k.space.next_expiry() == next_expiry);
  // And the next write gets the next revision, as if nothing happened.
  REQUIRE(k.space.put("d", "4", caf::none, t0));
  CHECK(k.apply() == before + 1);
}
