#include "backends/memory/memory_storage.hpp"

namespace statekeeper {

namespace_store::~namespace_store() = default;

storage_engine::~storage_engine() = default;

void storage_engine::release(const std::string&) {
  // nop
}

void storage_engine::visit(const store_visitor&) const {
  // nop
}

const stored_entry* memory_store::find(const std::string& key) const {
  auto i = entries_.find(key);
  return i != entries_.end() ? &i->second : nullptr;
}

void memory_store::scan(const std::string& prefix, const std::string& after,
                        const visitor& visit) const {
  auto i = after < prefix ? entries_.lower_bound(prefix)
                          : entries_.upper_bound(after);
  for (; i != entries_.end(); ++i) {
    if (i->first.compare(0, prefix.size(), prefix) != 0)
      return;
    if (!visit(i->first, i->second))
      return;
  }
}

uint64_t memory_store::size() const {
  return entries_.size();
}

uint64_t memory_store::revision() const {
  return revision_;
}

caf::error memory_store::apply(const std::vector<change_record>& batch,
                               uint64_t revision) {
  // Nothing below can fail short of std::bad_alloc, so applying in place
  // keeps the all-or-nothing contract.
  for (auto& change : batch) {
    switch (change.kind) {
      case change_kind::put:
        entries_[change.key]
          = stored_entry{change.value, change.version, change.expires_at};
        break;
      case change_kind::erase:
      case change_kind::expire:
        entries_.erase(change.key);
        break;
      case change_kind::clear:
        entries_.clear();
        break;
    }
  }
  revision_ = revision;
  return caf::none;
}

void memory_store::load(std::vector<entry>&& entries, uint64_t revision) {
  // In key order each entry goes at the end: no search.
  for (auto& e : entries)
    entries_.emplace_hint(
        entries_.end(), std::move(e.key),
        stored_entry{std::move(e.value), e.version, e.expires_at});
  revision_ = revision;
}

std::shared_ptr<namespace_store>
memory_engine::open(const namespace_path&, const std::string& rendered) {
  auto& store = stores_[rendered];
  if (!store)
    store = std::make_shared<memory_store>();
  return store;
}

void memory_engine::release(const std::string& rendered) {
  // A namespace that was written keeps its data, and its revision (so that
  // versions keep growing), for its next owner.
  auto i = stores_.find(rendered);
  if (i != stores_.end() && i->second->revision() == 0)
    stores_.erase(i);
}

void memory_engine::visit(const store_visitor& visit) const {
  for (auto& [rendered, store] : stores_)
    visit(rendered, *store);
}

std::unique_ptr<storage_engine> make_memory_engine() {
  return std::make_unique<memory_engine>();
}

} // namespace statekeeper
