#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "domain/error.h"
#include "storage/pool.h"

namespace coalition::storage {

struct DatabaseOptions {
  std::string url;
  int pool_size = 16;
  // How long a request waits for a free connection before UNAVAILABLE.
  std::chrono::milliseconds acquire_timeout{2000};
  // Attempts for one transaction that hits serialization failures, deadlocks
  // or a dropped connection before commit.
  int max_attempts = 5;
  // Server-side limit on any one statement.
  std::chrono::milliseconds statement_timeout{5000};
};

// The one boundary where libpqxx exceptions become domain errors. Runs a unit
// of work in one short READ COMMITTED transaction and retries it when
// PostgreSQL says a retry may succeed.
class Database {
 public:
  explicit Database(DatabaseOptions options);

  // `work` returns a Result; an error result rolls the transaction back. A
  // pqxx::unique_violation escaping `work` is an internal error unless `work`
  // maps it itself.
  template <typename T>
  domain::Result<T> Transact(std::string_view name,
                             const std::function<domain::Result<T>(pqxx::work&)>& work) {
    std::optional<domain::Result<T>> outcome;
    auto error = RunWithRetries(name, [&](pqxx::connection& connection) -> bool {
      pqxx::work tx(connection, std::string(name));
      outcome.emplace(work(tx));
      if (!outcome->ok()) {
        tx.abort();
        return true;
      }
      tx.commit();
      return true;
    });
    if (error) return *error;
    return std::move(*outcome);
  }

  // Read-only work outside an explicit transaction.
  template <typename T>
  domain::Result<T> Read(std::string_view name,
                         const std::function<domain::Result<T>(pqxx::nontransaction&)>& work) {
    std::optional<domain::Result<T>> outcome;
    auto error = RunWithRetries(name, [&](pqxx::connection& connection) -> bool {
      pqxx::nontransaction tx(connection, std::string(name));
      outcome.emplace(work(tx));
      return true;
    });
    if (error) return *error;
    return std::move(*outcome);
  }

 private:
  std::optional<domain::Error> RunWithRetries(std::string_view name,
                                              const std::function<bool(pqxx::connection&)>& body);

  DatabaseOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
};

// Prepares every statement of the storage layer on a new connection.
void PrepareStatements(pqxx::connection& connection);

}  // namespace coalition::storage
