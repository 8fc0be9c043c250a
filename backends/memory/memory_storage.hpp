// The in-memory backend, statekeeper's default: an ordered map per
// namespace. Not thread-safe (see backends/storage.hpp); data lives as long
// as the engine, so a namespace actor that stopped hands its data on to the
// next owner of the namespace.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "backends/storage.hpp"
#include "messages/entry.hpp"

namespace statekeeper {

class memory_store final : public namespace_store {
public:
  const stored_entry* find(const std::string& key) const override;
  void scan(const std::string& prefix, const std::string& after,
            const visitor& visit) const override;
  uint64_t size() const override;
  uint64_t revision() const override;
  caf::error apply(const std::vector<change_record>& batch,
                   uint64_t revision) override;

  /// Fills an empty store with `entries` (taking their contents) as of
  /// `revision`: loading a namespace. Fastest in key order.
  void load(std::vector<entry>&& entries, uint64_t revision);

 private:
  std::map<std::string, stored_entry> entries_;
  uint64_t revision_ = 0;
};

class memory_engine final : public storage_engine {
public:
  std::shared_ptr<namespace_store>
  open(const namespace_path& ns, const std::string& rendered) override;
  void release(const std::string& rendered) override;
  void visit(const store_visitor& visit) const override;

private:
 // Keyed by rendered namespace. The engine only keeps stores alive between
 // owners; it reads them only for `release` (the revision) and `visit`
 // (stores without an owner), never writes them.
 std::unordered_map<std::string, std::shared_ptr<memory_store>> stores_;
};

/// Returns a new in-memory engine.
std::unique_ptr<storage_engine> make_memory_engine();

} // namespace statekeeper
