#include "storage/database.h"

#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "metrics/metrics.h"

namespace coalition::storage {

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  const auto statement_timeout_ms = options_.statement_timeout.count();
  pool_ = std::make_unique<ConnectionPool>(
      options_.url, options_.pool_size, [statement_timeout_ms](pqxx::connection& connection) {
        pqxx::nontransaction setup(connection);
        setup.exec("SET statement_timeout = " + std::to_string(statement_timeout_ms));
        setup.commit();
        PrepareStatements(connection);
      });
}

namespace {

// Jittered exponential backoff so that retried transactions that collided
// do not collide again in lockstep.
void Backoff(int attempt) {
  thread_local std::mt19937 random{std::random_device{}()};
  const int ceiling_us = std::min(50'000, 1'000 << std::min(attempt, 6));
  std::uniform_int_distribution<int> jitter(ceiling_us / 2, ceiling_us);
  std::this_thread::sleep_for(std::chrono::microseconds(jitter(random)));
}

}  // namespace

std::optional<domain::Error> Database::RunWithRetries(
    std::string_view name, const std::function<bool(pqxx::connection&)>& body) {
  for (int attempt = 1;; ++attempt) {
    const bool last_attempt = attempt >= options_.max_attempts;
    std::optional<ConnectionPool::Lease> lease;
    try {
      lease = pool_->Acquire(options_.acquire_timeout);
    } catch (const pqxx::broken_connection&) {
      spdlog::warn(R"({{"event":"db_connect_failed","operation":"{}","attempt":{}}})", name,
                   attempt);
      if (last_attempt) return domain::Error::Unavailable("DATABASE_UNAVAILABLE", "database unavailable");
      metrics::RecordDbRetry(name, "connect_failed");
      Backoff(attempt);
      continue;
    }
    if (!lease) {
      return domain::Error::Unavailable("SERVER_BUSY", "no database connection free; retry");
    }
    try {
      body(lease->connection());
      return std::nullopt;
    } catch (const pqxx::in_doubt_error&) {
      // The commit may or may not have happened; a retry with the same
      // request_id is answered from the idempotency record either way.
      lease->Discard();
      return domain::Error::Unavailable("COMMIT_IN_DOUBT", "outcome unknown; retry with the same request_id");
    } catch (const pqxx::broken_connection&) {
      lease->Discard();
      if (last_attempt) return domain::Error::Unavailable("DATABASE_UNAVAILABLE", "database unavailable");
      metrics::RecordDbRetry(name, "connection_lost");
    } catch (const pqxx::serialization_failure&) {
      if (last_attempt) return domain::Error::Unavailable("CONTENTION", "too much contention; retry");
      metrics::RecordDbRetry(name, "serialization_failure");
    } catch (const pqxx::deadlock_detected&) {
      if (last_attempt) return domain::Error::Unavailable("CONTENTION", "too much contention; retry");
      metrics::RecordDbRetry(name, "deadlock");
    } catch (const pqxx::sql_error& e) {
      // 57014: statement_timeout; the work was rolled back.
      if (e.sqlstate() == "57014") {
        return domain::Error{domain::ErrorCode::kUnavailable, "DATABASE_TIMEOUT",
                             "database statement timed out", {}};
      }
      spdlog::error(R"({{"event":"db_error","operation":"{}","sqlstate":"{}"}})", name,
                    e.sqlstate());
      return domain::Error::Internal("database error");
    } catch (const pqxx::failure&) {
      lease->Discard();
      spdlog::error(R"({{"event":"db_failure","operation":"{}"}})", name);
      return domain::Error::Internal("database error");
    }
    Backoff(attempt);
  }
}

}  // namespace coalition::storage
