// keyspace::txn: compares, then one branch of operations, all writes staged
// as one revision. Kept apart from the single-key operations in keyspace.cpp.
#include "actors/keyspace.hpp"

#include <map>
#include <unordered_set>

#include "messages/error.hpp"

namespace statekeeper {

namespace {

caf::error invalid(std::string what) {
  return make_error(error_code::invalid_argument, std::move(what));
}

caf::error in_place(caf::error err, const char* where, size_t index) {
  return make_error(code_of(err), std::string{where} + " " +
                                      std::to_string(index) + ": " +
                                      context_of(err));
}

caf::error other_namespace(const namespace_path& ns,
                           const caf::optional<namespace_path>& named,
                           const char* where, size_t index) {
  if (!named || *named == ns)
    return {};
  return invalid(std::string{where} + " " + std::to_string(index) +
                 " names namespace \"" + render(*named) +
                 "\", but a transaction runs in one namespace (\"" +
                 render(ns) + "\")");
}

template <class T>
bool ordered(const T& actual, compare_op op, const T& expected) {
  switch (op) {
  case compare_op::equal:
    return actual == expected;
  case compare_op::not_equal:
    return actual != expected;
  case compare_op::less:
    return actual < expected;
  case compare_op::greater:
    return actual > expected;
  }
  return false;
}

} // namespace

caf::error keyspace::check_txn_branch(const namespace_path& ns,
                                      const std::vector<txn_op>& ops,
                                      const char* branch) const {
  if (auto err = check_batch(ops.size()))
    return make_error(code_of(err),
                      std::string{branch} + ": " + context_of(err));
  std::unordered_set<std::string> written;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto& op = ops[i];
    if (auto err = other_namespace(ns, op.ns, branch, i))
      return err;
    auto err = op.kind == txn_op_kind::put
                   ? check_write(op.key, op.value, op.ttl)
                   : check_key(op.key);
    if (err)
      return in_place(std::move(err), branch, i);
    if (op.kind != txn_op_kind::get && !written.insert(op.key).second)
      return invalid(std::string{branch} + " " + std::to_string(i) +
                     ": key is written twice in one branch");
  }
  return {};
}

caf::error keyspace::check_txn(const namespace_path& ns,
                               const std::vector<txn_compare>& compares,
                               const std::vector<txn_op>& on_success,
                               const std::vector<txn_op>& on_failure) const {
  if (auto err = check_batch(compares.size()))
    return make_error(code_of(err), "compares: " + context_of(err));
  for (size_t i = 0; i < compares.size(); ++i) {
    auto& c = compares[i];
    if (auto err = other_namespace(ns, c.ns, "compare", i))
      return err;
    if (auto err = check_key(c.key))
      return in_place(std::move(err), "compare", i);
    if (c.target == compare_target::exists && c.op != compare_op::equal &&
        c.op != compare_op::not_equal)
      return invalid("compare " + std::to_string(i) +
                     ": existence compares with equal or not_equal only");
  }
  if (auto err = check_txn_branch(ns, on_success, "on_success"))
    return err;
  return check_txn_branch(ns, on_failure, "on_failure");
}

bool keyspace::compares_hold(const std::vector<txn_compare>& compares,
                             caf::timestamp now) const {
  for (auto& c : compares) {
    auto found = live(c.key, now);
    bool holds = false;
    switch (c.target) {
    case compare_target::version:
      holds = ordered(found ? found->version : uint64_t{0}, c.op, c.version);
      break;
    case compare_target::exists:
      holds = ordered(found != nullptr, c.op, c.exists);
      break;
    case compare_target::value:
      holds = found != nullptr && ordered(found->value, c.op, c.value);
      break;
    }
    if (!holds)
      return false;
  }
  return true;
}

std::vector<txn_op_result>
keyspace::run_branch(const std::vector<txn_op>& ops, caf::timestamp now,
                     std::vector<change_record>& batch) const {
  auto next = revision() + 1;
  std::vector<txn_op_result> results;
  // What this branch wrote so far, so that a later get sees it.
  std::map<std::string, caf::optional<entry>> written;
  auto current = [&](const std::string& key) -> caf::optional<entry> {
    if (auto i = written.find(key); i != written.end())
      return i->second;
    if (auto found = live(key, now))
      return to_entry(key, *found);
    return caf::none;
  };
  for (auto& op : ops) {
    txn_op_result out{op.kind, op.key, 0, false, caf::none};
    switch (op.kind) {
    case txn_op_kind::get:
      out.value = current(op.key);
      out.found = static_cast<bool>(out.value);
      if (out.value)
        out.version = out.value->version;
      break;
    case txn_op_kind::put: {
      auto expires = expiry_of(op.ttl, now);
      batch.push_back(
          change_record{change_kind::put, op.key, next, op.value, expires});
      written[op.key] = entry{op.key, op.value, next, expires};
      out.version = next;
      out.found = true;
      break;
    }
    case txn_op_kind::erase:
      out.found = static_cast<bool>(current(op.key));
      if (out.found) {
        batch.push_back(
            change_record{change_kind::erase, op.key, next, {}, caf::none});
        written[op.key] = caf::none;
      }
      break;
    }
    results.push_back(std::move(out));
  }
  return results;
}

caf::expected<txn_result>
keyspace::txn(const namespace_path& ns,
              const std::vector<txn_compare>& compares,
              const std::vector<txn_op>& on_success,
              const std::vector<txn_op>& on_failure, caf::timestamp now) {
  if (auto err = check_txn(ns, compares, on_success, on_failure))
    return err;
  bool holds = compares_hold(compares, now);
  txn_result result{holds, revision(), {}};
  std::vector<change_record> batch;
  result.results = run_branch(holds ? on_success : on_failure, now, batch);
  if (!batch.empty())
    result.revision = commit(std::move(batch));
  return result;
}

} // namespace statekeeper
