// The collapse of a group commit into what its transaction writes
// (backends/commit_plan.hpp), without a database: the final effect per key,
// the namespaces' revisions, incarnations and floors, and the change log.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backends/commit_plan.hpp"
#include "tests/support/change_records.hpp"

using namespace statekeeper;

namespace {

// "ns/key=value" for a put, "ns/key deleted" for an erase, in plan order.
std::vector<std::string> effects(const commit_plan& plan) {
  std::vector<std::string> out;
  for (auto& e : plan.effects) {
    auto name = std::string{e.ns} + "/" + std::string{e.key};
    out.push_back(e.put ? name + "=" + e.put->value : name + " deleted");
  }
  return out;
}

} // namespace

TEST_CASE("the last change of a key is its effect", "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("a", {put_change("k", "v1", 1), put_change("x", "x1", 1)}),
      batch_of("a", {put_change("k", "v2", 2)}),
      batch_of("a", {removal(change_kind::erase, "x", 3)}),
      batch_of("b", {put_change("k", "other", 1)})};
  auto plan = plan_commit(batches);
  CHECK(effects(plan) ==
        std::vector<std::string>{"a/k=v2", "a/x deleted", "b/k=other"});
  CHECK(plan.cleared.empty());
}

TEST_CASE("an expiry deletes like an erase, and a later put wins",
          "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("a", {put_change("k", "v1", 1)}),
      batch_of("a", {removal(change_kind::expire, "k", 2)}),
      batch_of("a", {removal(change_kind::expire, "gone", 3)}),
      batch_of("a", {put_change("gone", "back", 4)})};
  CHECK(effects(plan_commit(batches)) ==
        std::vector<std::string>{"a/gone=back", "a/k deleted"});
}

TEST_CASE("a clear drops earlier effects of its namespace only",
          "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("a", {put_change("before", "x", 1)}),
      batch_of("ab", {put_change("k", "kept", 1)}),
      batch_of("a", {removal(change_kind::clear, "", 2)}),
      batch_of("a", {put_change("after", "y", 3)})};
  auto plan = plan_commit(batches);
  REQUIRE(plan.cleared.size() == 1);
  CHECK(plan.cleared.front() == "a");
  // The clear runs first; what follows it in the batches is written after.
  CHECK(effects(plan) == std::vector<std::string>{"a/after=y", "ab/k=kept"});
}

TEST_CASE("keys and namespaces are ordered by their bytes", "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("n", {put_change("\xff", "high", 1), put_change("a", "low", 1),
                     put_change(std::string("\0", 1), "nul", 1)})};
  auto plan = plan_commit(batches);
  REQUIRE(plan.effects.size() == 3);
  CHECK(plan.effects[0].key == std::string_view("\0", 1));
  CHECK(plan.effects[1].key == "a");
  CHECK(plan.effects[2].key == "\xff");
}

TEST_CASE("each namespace gets its highest revision and floor, its lowest "
          "trimmed floor and its last "
          "incarnation",
          "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("a", {put_change("k", "x", 4)}, 2, 11),
      batch_of("b", {put_change("k", "x", 9)}, 0, 5),
      batch_of("a", {put_change("k", "y", 5)}, 1, 12)};
  batches[0].trimmed_floor = 1;
  batches[2].trimmed_floor = 2;
  auto plan = plan_commit(batches);
  REQUIRE(plan.namespaces.size() == 2);
  auto& a = plan.namespaces[0];
  CHECK(a.ns == "a");
  CHECK(a.revision == 5);
  CHECK(a.history_floor == 2);
  CHECK(a.trimmed_floor == 1); // the lowest: what all of them deleted
  CHECK(a.incarnation == 12);
  auto& b = plan.namespaces[1];
  CHECK(b.ns == "b");
  CHECK(b.revision == 9);
  CHECK(b.history_floor == 0);
}

TEST_CASE("the change log keeps every record above the floor, numbered "
          "within its revision",
          "[commit_plan]") {
  std::vector<persist_batch> batches{
      batch_of("a", {put_change("k", "x", 1)}),
      batch_of("a", {put_change("k", "y", 2), put_change("l", "y", 2),
                     removal(change_kind::erase, "m", 2)}),
      batch_of("a", {put_change("k", "z", 3)}, 1)};
  auto plan = plan_commit(batches);
  // Revision 1 is at the floor: the same commit would delete its row.
  REQUIRE(plan.log.size() == 4);
  std::vector<std::pair<uint64_t, int64_t>> places;
  for (auto& row : plan.log)
    places.emplace_back(row.change->version, row.seq);
  CHECK(places == std::vector<std::pair<uint64_t, int64_t>>{
                      {2, 0}, {2, 1}, {2, 2}, {3, 0}});
  // Uncollapsed: the erase of m is there although nothing else is.
  CHECK(plan.log[2].change->kind == change_kind::erase);
}

TEST_CASE("an empty commit plans nothing", "[commit_plan]") {
  auto plan = plan_commit({});
  CHECK(plan.effects.empty());
  CHECK(plan.cleared.empty());
  CHECK(plan.namespaces.empty());
  CHECK(plan.log.empty());
}
