#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace coalition::storage {

// A fixed number of PostgreSQL connections shared by the request threads.
// Connections open lazily and are replaced when they break, and every new
// connection gets the prepared statements from `on_connect`.
class ConnectionPool {
 public:
  using OnConnect = std::function<void(pqxx::connection&)>;

  ConnectionPool(std::string url, int size, OnConnect on_connect);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    pqxx::connection& connection() { return *pool_->slots_[slot_]; }
    // The connection failed; the next user of this slot reconnects.
    void Discard();

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, size_t slot) : pool_(pool), slot_(slot) {}
    ConnectionPool* pool_;
    size_t slot_;
  };

  // Waits up to `timeout` for a free connection; none when the pool stayed
  // busy. Throws pqxx::broken_connection when the database cannot be reached.
  std::optional<Lease> Acquire(std::chrono::milliseconds timeout);

 private:
  void Release(size_t slot, bool discard);

  const std::string url_;
  const OnConnect on_connect_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<pqxx::connection>> slots_;
  std::vector<size_t> free_slots_;
};

}  // namespace coalition::storage
