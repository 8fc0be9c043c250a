#include "tests/support/instrumented_engine.hpp"

#include <chrono>

#include "messages/error.hpp"

namespace statekeeper::test {

instrumented_store::call_guard::call_guard(const instrumented_store& store)
  : store_(store) {
  bool overlapping = store_.active_.fetch_add(1) != 0;
  {
    std::lock_guard<std::mutex> guard{store_.probe_->mtx};
    auto& rec = store_.probe_->stores[store_.name_];
    if (overlapping)
      ++rec.overlaps;
    rec.threads.insert(std::this_thread::get_id());
    ++rec.calls;
  }
  if (auto us = store_.probe_->linger_us.load(); us > 0)
    std::this_thread::sleep_for(std::chrono::microseconds{us});
}

instrumented_store::call_guard::~call_guard() {
  store_.active_.fetch_sub(1);
}

instrumented_store::instrumented_store(std::string name,
                                       std::shared_ptr<probe> p)
  : name_(std::move(name)), probe_(std::move(p)) {
  // nop
}

const stored_entry* instrumented_store::find(const std::string& key) const {
  call_guard guard{*this};
  return inner_.find(key);
}

void instrumented_store::scan(const std::string& prefix,
                              const std::string& after,
                              const visitor& visit) const {
  call_guard guard{*this};
  inner_.scan(prefix, after, visit);
}

uint64_t instrumented_store::size() const {
  call_guard guard{*this};
  return inner_.size();
}

uint64_t instrumented_store::revision() const {
  call_guard guard{*this};
  return inner_.revision();
}

caf::error instrumented_store::apply(const std::vector<change_record>& batch,
                                     uint64_t revision) {
  call_guard guard{*this};
  if (probe_->crash_applies.load() > 0) {
    --probe_->crash_applies;
    throw injected_crash{};
  }
  if (probe_->fail_applies.load() > 0) {
    --probe_->fail_applies;
    return make_error(error_code::storage_unavailable,
                      "injected failure in namespace " + name_);
  }
  auto err = inner_.apply(batch, revision);
  std::lock_guard<std::mutex> lock{probe_->mtx};
  auto& log = probe_->applied[name_];
  log.insert(log.end(), batch.begin(), batch.end());
  probe_->stores[name_].stored = inner_.size();
  return err;
}

instrumented_engine::instrumented_engine(std::shared_ptr<probe> p)
  : probe_(std::move(p)) {
  // nop
}

std::shared_ptr<namespace_store>
instrumented_engine::open(const namespace_path&, const std::string& rendered) {
  auto& store = stores_[rendered];
  if (!store)
    store = std::make_shared<instrumented_store>(rendered, probe_);
  return store;
}

} // namespace statekeeper::test
