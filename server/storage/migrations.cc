#include "storage/migrations.h"

#include <map>
#include <stdexcept>

#include <pqxx/pqxx>

#include "crypto/crypto.h"

namespace coalition::storage {
namespace {

// Arbitrary constant naming "coalition schema migrations" among advisory locks.
constexpr int64_t kMigrationLockKey = 0x636f616c6d696772;

}  // namespace

MigrationReport ApplyMigrations(const std::string& database_url,
                                const std::vector<Migration>& migrations) {
  pqxx::connection connection(database_url);
  // libpqxx allows one transaction object per connection at a time, so each
  // step opens and closes its own.
  const auto exec = [&connection](const std::string& query) {
    pqxx::nontransaction step(connection);
    auto result = step.exec(query);
    step.commit();
    return result;
  };
  exec("SET client_min_messages = warning");
  // Session-level: held across the per-migration transactions below.
  exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
  MigrationReport report;
  try {
    exec(R"~(
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      ))~");
    std::map<int, std::string> applied;
    for (const auto& row : exec("SELECT version, checksum FROM schema_migrations")) {
      applied.emplace(row[0].as<int>(), row[1].as<std::string>());
    }
    for (const auto& migration : migrations) {
      const std::string checksum = crypto::HexEncode(crypto::Sha256(migration.sql));
      if (auto found = applied.find(migration.version); found != applied.end()) {
        if (found->second != checksum) {
          throw std::runtime_error("migration V" + std::to_string(migration.version) +
                                   " was changed after it was applied; add a new migration "
                                   "instead of editing an applied one");
        }
        ++report.already_applied;
        continue;
      }
      pqxx::work tx(connection, "migration");
      tx.exec(std::string(migration.sql));
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     migration.version, migration.name, checksum);
      tx.commit();
      ++report.applied;
    }
  } catch (...) {
    exec("SELECT pg_advisory_unlock_all()");
    throw;
  }
  exec("SELECT pg_advisory_unlock_all()");
  return report;
}

}  // namespace coalition::storage
