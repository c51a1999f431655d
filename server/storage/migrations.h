#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coalition::storage {

struct Migration {
  int version;
  std::string name;
  std::string_view sql;
};

// The files of migrations/, compiled into the binary in version order.
const std::vector<Migration>& EmbeddedMigrations();

struct MigrationReport {
  int applied = 0;
  int already_applied = 0;
};

// Applies pending migrations in order, each in its own transaction, and
// records version, name and checksum in schema_migrations. Serialised by an
// advisory lock so instances starting together apply each migration once.
// Throws std::runtime_error if an applied migration's file has changed.
MigrationReport ApplyMigrations(const std::string& database_url,
                                const std::vector<Migration>& migrations = EmbeddedMigrations());

}  // namespace coalition::storage
