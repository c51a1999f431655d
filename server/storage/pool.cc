#include "storage/pool.h"

#include <utility>

#include "metrics/metrics.h"

namespace coalition::storage {

ConnectionPool::ConnectionPool(std::string url, int size, OnConnect on_connect)
    : url_(std::move(url)), on_connect_(std::move(on_connect)), slots_(size) {
  for (size_t i = slots_.size(); i > 0; --i) free_slots_.push_back(i - 1);
  metrics::SetDbPoolSize(size);
}

ConnectionPool::~ConnectionPool() = default;

std::optional<ConnectionPool::Lease> ConnectionPool::Acquire(std::chrono::milliseconds timeout) {
  size_t slot = 0;
  const auto asked = std::chrono::steady_clock::now();
  {
    std::unique_lock lock(mutex_);
    if (!released_.wait_for(lock, timeout, [this] { return !free_slots_.empty(); })) {
      metrics::RecordDbPoolExhausted();
      return std::nullopt;
    }
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  metrics::RecordDbPoolAcquire(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
  Lease lease(this, slot);
  auto& connection = slots_[slot];
  if (!connection || !connection->is_open()) {
    try {
      connection.reset();
      auto fresh = std::make_unique<pqxx::connection>(url_);
      if (on_connect_) on_connect_(*fresh);
      connection = std::move(fresh);
    } catch (...) {
      lease.Discard();
      throw;
    }
  }
  return lease;
}

void ConnectionPool::Release(size_t slot, bool discard) {
  metrics::RecordDbPoolRelease();
  if (discard) slots_[slot].reset();
  {
    std::lock_guard lock(mutex_);
    free_slots_.push_back(slot);
  }
  released_.notify_one();
}

ConnectionPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), slot_(other.slot_) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr) pool_->Release(slot_, false);
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = other.slot_;
  }
  return *this;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_, false);
}

void ConnectionPool::Lease::Discard() {
  if (pool_ != nullptr) pool_->Release(slot_, true);
  pool_ = nullptr;
}

}  // namespace coalition::storage
